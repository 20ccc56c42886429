//! Single sign-on: a reader signed in on the publisher's site signs in to Civil with the token
//! that site made, without a password. The token's rules are in `domain::sso`; here it is
//! checked against the tokens already used, and the reader's account is found by the
//! publisher's id for them (`sub`), or made on first use.
//!
//! An account made this way has no password: password sign-in tells whoever tries, and a
//! password reset does not give it one (`accounts::sign_in`, `account_emails`). Everything else
//! holds for it as for any account: its role is whatever an admin made it (a sign-in never
//! changes it), and bans, suspensions and always-review apply.

use chrono::{Duration, NaiveDateTime};

use super::accounts::{self, Session};
use super::rate_limits::{self, Action, Limit};
use super::{tokens, App};
use crate::domain::account::User;
use crate::domain::email::EmailAddress;
use crate::domain::role::Role;
use crate::domain::sso::{self, Refused};
use crate::domain::username::{DisplayName, Username};
use crate::domain::Invalid;
use crate::error::Error;
use crate::store::{self, sso as used_tokens, users, DbConnection};

/// Names tried in turn (`ada`, `ada-2`, ...) before a random suffix.
const NUMBERED_NAMES: u32 = 10;

fn refused(why: Refused) -> Error {
    Error::SsoRefused(why.to_string())
}

/// Check a token, find or make the account it names, and start a session for it. A token that
/// fails any check signs nobody in and changes nothing but the limit on failures from `ip`
/// (the client's address), which it shares with password sign-in: each attempt counts as a
/// failure until it succeeds, so that guessing at tokens costs what guessing at passwords does.
pub async fn sign_in(app: &App, token: &str, ip: Option<&str>) -> Result<Session, Error> {
    let secret = app.settings.sso_secret.as_ref().ok_or_else(|| {
        Error::NotFound("Single sign-on is not turned on for this site (its operator sets sso_secret).".into())
    })?;
    let attempt = match app.limits_on() {
        true => {
            let ip = ip.unwrap_or("unknown").to_owned();
            let limit = Limit { max: app.settings.limits.sign_in_failures_per_minute, window: Duration::minutes(1) };
            let clock = app.clock.clone();
            let message = "Too many failed sign-ins from your network.";
            Some(
                app.write(move |conn| rate_limits::take(conn, Action::SignInFailure, &ip, limit, clock.now(), message))
                    .await?,
            )
        }
        false => None,
    };
    let verified = sso::verify(token, secret, app.clock.now()).map_err(refused)?;
    let site = super::settings::current(app).await?;
    let filter = app.filters.for_lists(&site.words);
    let identity = verified.identity;
    let base = sso::username_base(&identity.username, &filter);
    let mut names: Vec<Username> =
        (0..NUMBERED_NAMES).filter_map(|n| sso::username_candidate(&base, n, &filter)).collect();
    names.extend((0..3).filter_map(|_| {
        let suffix: String = tokens::random_token().chars().filter(char::is_ascii_alphanumeric).take(8).collect();
        Username::parse(&format!("{}-{suffix}", base.as_str()), &filter).ok()
    }));
    let display_name = sso::display_name(identity.name.as_deref(), &filter);
    let token_hash = tokens::hash(token.trim());
    let clock = app.clock.clone();
    let user = app
        .write(move |conn| {
            let now = clock.now();
            used_tokens::delete_expired(conn, now)?;
            if !used_tokens::mark_used(conn, &token_hash, verified.remember_until)? {
                return Err(refused(Refused::Replayed));
            }
            let profile = Profile { email: &identity.email, display_name: display_name.as_ref() };
            let user = match users::find_by_sso_subject(conn, &identity.subject)? {
                Some(row) => update_profile(conn, row, &profile, now)?,
                None => create_account(conn, &identity.subject, &names, &profile, now)?,
            };
            // Signed in: the attempt was no failure.
            if let Some(event) = attempt {
                rate_limits::release(conn, event)?;
            }
            Ok(user)
        })
        .await?;
    accounts::start_session(app, user).await
}

/// What the publisher says of the reader at every sign-in.
struct Profile<'a> {
    email: &'a EmailAddress,
    display_name: Option<&'a DisplayName>,
}

/// The address is the publisher's to vouch for, so it counts as verified, unless another
/// account has it: then, as at registration, it stays with that account, and this one gets no
/// mail (an unattached address is never verified, so nothing is sent to it).
fn email_key_and_verified(
    conn: &mut DbConnection,
    email: &EmailAddress,
    username_key: &str,
    account: Option<&users::UserRow>,
    now: NaiveDateTime,
) -> Result<(String, Option<NaiveDateTime>), Error> {
    let owner = users::find_by_email_key(conn, &email.key())?;
    if owner.is_some_and(|owner| Some(owner.id) != account.map(|a| a.id)) {
        return Ok((users::unattached_email_key(username_key), None));
    }
    let verified_at = match account {
        Some(row) if row.email_key == email.key() && row.email_verified_at.is_some() => row.email_verified_at,
        _ => Some(now),
    };
    Ok((email.key(), verified_at))
}

fn update_profile(
    conn: &mut DbConnection,
    row: users::UserRow,
    profile: &Profile<'_>,
    now: NaiveDateTime,
) -> Result<User, Error> {
    let (email_key, verified_at) = email_key_and_verified(conn, profile.email, &row.username_key, Some(&row), now)?;
    let display_name = profile.display_name.map(DisplayName::as_str);
    users::set_sso_profile(conn, row.id, display_name, profile.email.as_str(), &email_key, verified_at)?;
    let row = users::find(conn, row.id)?.ok_or_else(|| Error::not_found("That account"))?;
    Ok(User::from(row))
}

fn create_account(
    conn: &mut DbConnection,
    subject: &str,
    names: &[Username],
    profile: &Profile<'_>,
    now: NaiveDateTime,
) -> Result<User, Error> {
    let mut username = None;
    for name in names {
        if !users::username_taken(conn, &name.key())? {
            username = Some(name);
            break;
        }
    }
    let username = username
        .ok_or_else(|| Error::Conflict(Invalid::new("username", "No free username could be made for this reader.")))?;
    let username_key = username.key();
    let (email_key, email_verified_at) = email_key_and_verified(conn, profile.email, &username_key, None, now)?;
    let new = users::NewUser {
        username: username.as_str(),
        username_key: &username_key,
        email: profile.email.as_str(),
        email_key: &email_key,
        display_name: profile.display_name.map(DisplayName::as_str),
        password_hash: users::NO_PASSWORD,
        role: Role::Reader.as_str(),
        created_at: now,
        sso_subject: Some(subject),
        email_verified_at,
    };
    let row = users::insert(conn, &new).map_err(|e| {
        // Two first sign-ins of one reader at once (or a registration taking the name): the
        // transaction is rolled back, token and all, so the reader can simply try again.
        if store::is_unique_violation(&e) {
            Error::Conflict(Invalid::new("token", "Signing in took two tries at once. Try again."))
        } else {
            Error::from(e)
        }
    })?;
    Ok(User::from(row))
}
