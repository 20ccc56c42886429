//! Account e-mails: verifying the address after sign-up, resetting a password, and opt-in
//! notifications of replies (sent only for published replies). Each is written to the outbox in
//! the same transaction as the change that causes it.

use chrono::{Duration, NaiveDateTime};

use super::rate_limits::{self, Action, Limit};
use super::{newsletter, tokens, App};
use crate::domain::account::User;
use crate::domain::email::EmailAddress;
use crate::domain::links::{LinkState, RESET_RESEND_AFTER, RESET_VALID, VERIFY_RESEND_AFTER, VERIFY_VALID};
use crate::domain::password::NewPassword;
use crate::domain::sso::NO_PASSWORD;
use crate::domain::Invalid;
use crate::email::templates;
// Other services name the site through this module.
pub use crate::email::templates::Site;
use crate::error::Error;
use crate::store::newsletter as tokens_store;
use crate::store::outbox::{self, NewMessage};
use crate::store::{sessions, users, DbConnection};

/// Queue the link that verifies a new account's address.
pub fn queue_verification(
    conn: &mut DbConnection,
    site: &Site,
    user_id: i64,
    email: &str,
    now: NaiveDateTime,
) -> Result<(), Error> {
    let token = tokens::random_token();
    let hash = tokens::hash(&token);
    tokens_store::insert_email_token(conn, user_id, "verify", &hash, now + VERIFY_VALID, now)?;
    let message = templates::verification(site, &site.link(&format!("/account/verify/{token}")));
    outbox::enqueue(
        conn,
        &NewMessage::email("verify", format!("verify:{user_id}:{}", &hash[..16]), email, message, now),
    )?;
    Ok(())
}

fn token_state(
    conn: &mut DbConnection,
    purpose: &str,
    token: &str,
    now: NaiveDateTime,
) -> Result<Option<(i64, i64)>, Error> {
    Ok(tokens_store::live_email_token(conn, purpose, &tokens::hash(token), now)?)
}

pub async fn check_verification(app: &App, token: String) -> Result<LinkState, Error> {
    let clock = app.clock.clone();
    app.db(move |conn| {
        Ok(match token_state(conn, "verify", &token, clock.now())? {
            Some((_, user_id)) => {
                LinkState::Valid { email: users::find(conn, user_id)?.map(|u| u.email).unwrap_or_default() }
            }
            None => LinkState::Invalid,
        })
    })
    .await
}

pub async fn verify(app: &App, token: String) -> Result<LinkState, Error> {
    let clock = app.clock.clone();
    app.write(move |conn| {
        let now = clock.now();
        let Some((token_id, user_id)) = token_state(conn, "verify", &token, now)? else {
            return Ok(LinkState::Invalid);
        };
        if tokens_store::use_email_token(conn, token_id, now)? == 0 {
            return Ok(LinkState::Invalid);
        }
        users::set_email_verified(conn, user_id, now)?;
        Ok(LinkState::Valid { email: users::find(conn, user_id)?.map(|u| u.email).unwrap_or_default() })
    })
    .await
}

/// Send the verification link again, at most once per 10 minutes.
pub async fn resend_verification(app: &App, user: &User) -> Result<(), Error> {
    let site = Site::of(app);
    let user_id = user.id;
    let clock = app.clock.clone();
    app.write(move |conn| {
        let now = clock.now();
        let row = users::find(conn, user_id)?.ok_or(Error::Unauthenticated)?;
        // An address that belongs to another account gets nothing from this one.
        if row.email_verified_at.is_some() || !row.email_attached() {
            return Ok(());
        }
        if tokens_store::latest_email_token_at(conn, user_id, "verify")?
            .is_some_and(|at| at + VERIFY_RESEND_AFTER > now)
        {
            return Ok(());
        }
        queue_verification(conn, &site, user_id, &row.email, now)
    })
    .await
}

/// Write a one-hour reset link for `user` and the message (`write`, given the link) that carries it.
fn queue_reset_link(
    conn: &mut DbConnection,
    site: &Site,
    user: &users::UserRow,
    now: NaiveDateTime,
    purpose: &'static str,
    write: impl FnOnce(&str) -> templates::Message,
) -> Result<(), Error> {
    let token = tokens::random_token();
    let hash = tokens::hash(&token);
    tokens_store::insert_email_token(conn, user.id, "reset", &hash, now + RESET_VALID, now)?;
    let link = site.link(&format!("/password/reset/{token}"));
    let dedup = format!("{purpose}:{}:{}", user.id, &hash[..16]);
    outbox::enqueue(conn, &NewMessage::email(purpose, dedup, &user.email, write(&link), now))?;
    Ok(())
}

/// Ask for a password reset. The answer is the same whether or not an account uses the address,
/// and so is the database work: every request records itself (which feeds the per-IP limit) and
/// commits, whether or not a link is then written.
pub async fn forgot_password(app: &App, email: &str, ip: Option<&str>) -> Result<(), Error> {
    let email = EmailAddress::parse(email)?;
    let site = Site::of(app);
    let subject = ip.unwrap_or("unknown").to_owned();
    let limit = app
        .limits_on()
        .then(|| Limit { max: app.settings.limits.password_resets_per_hour, window: Duration::hours(1) });
    let clock = app.clock.clone();
    app.write(move |conn| {
        let now = clock.now();
        match limit {
            Some(limit) => {
                let message = "Too many password reset requests from your network.";
                rate_limits::take(conn, Action::PasswordReset, &subject, limit, now, message)?
            }
            None => rate_limits::record(conn, Action::PasswordReset, &subject, now)?,
        };
        let user = users::find_by_email_key(conn, &email.key())?;
        // An account made by single sign-on gets no link: it has no password to reset.
        let Some(user) = user.filter(|u| u.sso_subject.is_none()) else {
            return Ok(());
        };
        if tokens_store::latest_email_token_at(conn, user.id, "reset")?.is_some_and(|at| at + RESET_RESEND_AFTER > now)
        {
            return Ok(());
        }
        let write = |link: &str| templates::password_reset(&site, &user.username, link);
        queue_reset_link(conn, &site, &user, now, "reset", write)
    })
    .await
}

/// Someone registered with an address that already belongs to `owner`: tell the owner, with a
/// way back into their account in case it was them. Registration writes this instead of the
/// verification link, so the two cost the same and look the same from outside.
pub fn queue_address_taken_notice(
    conn: &mut DbConnection,
    site: &Site,
    owner: &users::UserRow,
    now: NaiveDateTime,
) -> Result<(), Error> {
    if owner.sso_subject.is_some() {
        // No password to reset: no link, and the owner is sent to the publisher's site instead.
        let dedup = format!("address_taken:{}:{}", owner.id, &tokens::hash(&tokens::random_token())[..16]);
        let message = templates::address_taken_sso(site, &owner.username);
        outbox::enqueue(conn, &NewMessage::email("address_taken", dedup, &owner.email, message, now))?;
        return Ok(());
    }
    let write = |link: &str| templates::address_taken(site, &owner.username, link);
    queue_reset_link(conn, site, owner, now, "address_taken", write)
}

pub async fn check_reset(app: &App, token: String) -> Result<LinkState, Error> {
    let clock = app.clock.clone();
    app.db(move |conn| {
        Ok(match token_state(conn, "reset", &token, clock.now())? {
            Some(_) => LinkState::Valid { email: String::new() },
            None => LinkState::Invalid,
        })
    })
    .await
}

/// Set a new password with a reset link. The link works once; every session of the account
/// ends (the caller starts a fresh one).
pub async fn reset_password(app: &App, token: String, password: String) -> Result<Option<User>, Error> {
    let password = NewPassword::parse(password)?;
    if check_reset(app, token.clone()).await? != (LinkState::Valid { email: String::new() }) {
        return Ok(None);
    }
    let hash = app.passwords.hash(password.expose().to_owned()).await?;
    let clock = app.clock.clone();
    app.write(move |conn| {
        let now = clock.now();
        let Some((token_id, user_id)) = token_state(conn, "reset", &token, now)? else {
            return Ok(None);
        };
        // The note to an address's owner (see `queue_address_taken_notice`) carries a link; it
        // must not give an account made by single sign-on a password behind the publisher's back.
        if users::find(conn, user_id)?.is_some_and(|u| u.sso_subject.is_some()) {
            return Err(Error::forbidden(NO_PASSWORD));
        }
        if tokens_store::use_email_token(conn, token_id, now)? == 0 {
            return Ok(None);
        }
        users::set_password_hash(conn, user_id, &hash)?;
        sessions::delete_for_user(conn, user_id)?;
        // The link reached the inbox, so the address is proven too.
        users::set_email_verified(conn, user_id, now)?;
        Ok(users::find(conn, user_id)?.map(User::from))
    })
    .await
}

/// Turn reply notifications on or off.
pub async fn set_reply_notifications(app: &App, user: &User, on: bool) -> Result<(), Error> {
    let user_id = user.id;
    app.write(move |conn| {
        let token = users::find(conn, user_id)?.and_then(|u| u.notify_token).unwrap_or_else(tokens::random_token);
        users::set_notify_replies(conn, user_id, on, &token)?;
        Ok(())
    })
    .await
}

pub async fn check_notifications_token(app: &App, token: String) -> Result<bool, Error> {
    app.db(move |conn| Ok(users::find_by_notify_token(conn, &token)?.is_some())).await
}

/// One click from a notification e-mail turns them off.
pub async fn stop_reply_notifications(app: &App, token: String) -> Result<bool, Error> {
    app.write(move |conn| {
        let Some(user) = users::find_by_notify_token(conn, &token)? else {
            return Ok(false);
        };
        users::set_notify_replies(conn, user.id, false, &token)?;
        Ok(true)
    })
    .await
}

/// A reply was published: tell the parent's author, if they asked to be told, their address
/// is verified, and it is not their own reply. Call only for published replies.
pub fn queue_reply_notification(
    conn: &mut DbConnection,
    site: &Site,
    reply_id: i64,
    reply_author_id: i64,
    parent_author_id: i64,
    article_title: &str,
    now: NaiveDateTime,
) -> Result<(), Error> {
    if reply_author_id == parent_author_id {
        return Ok(());
    }
    let Some(parent_author) = users::find(conn, parent_author_id)? else {
        return Ok(());
    };
    let (true, Some(_), Some(token)) =
        (parent_author.notify_replies, parent_author.email_verified_at, parent_author.notify_token.clone())
    else {
        return Ok(());
    };
    let replier = users::find(conn, reply_author_id)?.map(|u| u.display_name.unwrap_or(u.username)).unwrap_or_default();
    let unsubscribe = site.link(&format!("/notifications/unsubscribe/{token}"));
    let reply_link = site.link(&format!("/comments/{reply_id}"));
    let written = templates::reply_notification(site, &replier, article_title, &reply_link, &unsubscribe);
    let mut message = NewMessage::email("reply", format!("reply:{reply_id}"), &parent_author.email, written, now);
    message.unsubscribe_url = Some(unsubscribe);
    outbox::enqueue(conn, &message)?;
    Ok(())
}

/// Queue the link that moves the account to `new_email`, to that address. A newer link voids
/// the older ones. Checking that the reader may ask is the caller's (`accounts::request_email_change`).
pub fn queue_email_change(
    conn: &mut DbConnection,
    site: &Site,
    user: &users::UserRow,
    new_email: &EmailAddress,
    now: NaiveDateTime,
) -> Result<(), Error> {
    tokens_store::void_email_tokens(conn, user.id, "change_email", now)?;
    let token = tokens::random_token();
    let hash = tokens::hash(&token);
    tokens_store::insert_email_change_token(conn, user.id, new_email.as_str(), &hash, now + VERIFY_VALID, now)?;
    let message = templates::email_change(site, &user.username, &site.link(&format!("/account/email/{token}")));
    let dedup = format!("change_email:{}:{}", user.id, &hash[..16]);
    outbox::enqueue(conn, &NewMessage::email("change_email", dedup, new_email.as_str(), message, now))?;
    Ok(())
}

/// Whether an e-mail change link still works: the address it moves the account to.
pub async fn check_email_change(app: &App, token: String) -> Result<LinkState, Error> {
    let clock = app.clock.clone();
    app.db(move |conn| {
        Ok(match tokens_store::live_email_change(conn, &tokens::hash(&token), clock.now())? {
            Some((_, _, Some(email))) => LinkState::Valid { email },
            _ => LinkState::Invalid,
        })
    })
    .await
}

/// Follow an e-mail change link: the account moves to the new address, which the link has
/// proven, and the old address is told (in case someone else made the change). Links sent to
/// the old address for verifying it stop working.
pub async fn confirm_email_change(app: &App, token: String) -> Result<LinkState, Error> {
    let site = Site::of(app);
    let clock = app.clock.clone();
    app.write(move |conn| {
        let now = clock.now();
        let Some((token_id, user_id, Some(new_email))) =
            tokens_store::live_email_change(conn, &tokens::hash(&token), now)?
        else {
            return Ok(LinkState::Invalid);
        };
        let Some(user) = users::find(conn, user_id)?.filter(|u| u.deleted_at.is_none()) else {
            return Ok(LinkState::Invalid);
        };
        let new_email = EmailAddress::parse(&new_email)?;
        let key = new_email.key();
        if users::find_by_email_key(conn, &key)?.is_some_and(|owner| owner.id != user_id) {
            return Err(Error::Conflict(Invalid::new(
                "email",
                "Another account uses that address now, so yours stays as it was.",
            )));
        }
        if tokens_store::use_email_token(conn, token_id, now)? == 0 {
            return Ok(LinkState::Invalid);
        }
        users::set_email(conn, user_id, new_email.as_str(), &key, now).map_err(|e| {
            // Another account took the address between the check and the update.
            if crate::store::is_unique_violation(&e) {
                Error::Conflict(Invalid::new("email", "Another account uses that address now."))
            } else {
                Error::from(e)
            }
        })?;
        tokens_store::void_email_tokens(conn, user_id, "verify", now)?;
        newsletter::follow_account_address(conn, &user.email_key, new_email.as_str(), &key, now)?;
        if user.email_attached() && user.email_key != key {
            let notice = templates::email_changed(&site, &user.username, &partly_hidden(new_email.as_str()));
            let dedup = format!("email_changed:{user_id}:{token_id}");
            outbox::enqueue(conn, &NewMessage::email("email_changed", dedup, &user.email, notice, now))?;
        }
        Ok(LinkState::Valid { email: new_email.as_str().to_owned() })
    })
    .await
}

/// An address with most of its local part hidden ("a***@example.com"): enough for its owner to
/// know it, not enough to give it to whoever reads the old mailbox.
fn partly_hidden(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}
