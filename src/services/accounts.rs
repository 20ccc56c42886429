use chrono::{Duration, NaiveDateTime};

use super::account_emails::{self, Site};
use super::rate_limits::{self, Action, Limit};
use super::{tokens, App};
use crate::domain::email::EmailAddress;
use crate::domain::password::{LoginPassword, NewPassword};
use crate::domain::role::Role;
use crate::domain::username::{DisplayName, Username};
use crate::domain::Invalid;
use crate::error::Error;
use crate::store::moderation_log::{self, NewLogEntry};
use crate::store::{self, rate_events, sessions, users, DbConnection};

/// An account as the rest of Civil sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: Option<String>,
    pub email: String,
    pub role: Role,
    pub created_at: NaiveDateTime,
    pub always_review: bool,
    pub suspended_until: Option<NaiveDateTime>,
    pub banned: bool,
    pub sanction_reason: Option<String>,
}

impl User {
    pub fn is_staff(&self) -> bool {
        self.role >= Role::Moderator
    }

    /// Why this reader may not post, edit, vote or flag right now, if so.
    pub fn restriction(&self, now: NaiveDateTime) -> Option<String> {
        let reason = self.sanction_reason.as_deref().map(|r| format!(" Reason: {r}")).unwrap_or_default();
        if self.banned {
            return Some(format!("Your account is banned, so you can read but not take part.{reason}"));
        }
        match self.suspended_until {
            Some(until) if until > now => Some(format!(
                "Your account is suspended until {}, so until then you can read but not take part.{reason}",
                until.format("%-d %b %Y, %H:%M UTC")
            )),
            _ => None,
        }
    }

    /// Refuse an action to a suspended or banned reader, saying why and until when.
    pub fn ensure_can_participate(&self) -> Result<(), Error> {
        match self.restriction(store::now()) {
            Some(message) => Err(Error::Forbidden(message)),
            None => Ok(()),
        }
    }

    pub fn name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.username)
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

impl From<users::UserRow> for User {
    fn from(row: users::UserRow) -> User {
        User {
            id: row.id,
            role: Role::parse(&row.role).unwrap_or(Role::Reader),
            username: row.username,
            display_name: row.display_name,
            email: row.email,
            created_at: row.created_at,
            always_review: row.always_review,
            suspended_until: row.suspended_until,
            banned: row.banned_at.is_some(),
            sanction_reason: row.sanction_reason,
        }
    }
}

/// What a registration form or API call carries, unparsed.
#[derive(Debug, Clone, Default)]
pub struct Registration {
    pub username: String,
    pub email: String,
    pub password: String,
    pub display_name: Option<String>,
}

/// A signed-in session: the cookie token (shown once, stored hashed) and its CSRF token.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub csrf_token: String,
    pub user: User,
}

struct ParsedRegistration {
    username: Username,
    email: EmailAddress,
    password: NewPassword,
    display_name: Option<DisplayName>,
}

/// Names are checked against the current site word lists too.
async fn parse_registration(app: &App, input: Registration) -> Result<ParsedRegistration, Error> {
    let site = super::settings::current(app).await?;
    let filter = app.filters.for_lists(&site.words);
    Ok(ParsedRegistration {
        username: Username::parse(&input.username, &filter)?,
        email: EmailAddress::parse(&input.email)?,
        display_name: DisplayName::parse_optional(input.display_name.as_deref(), &filter)?,
        password: NewPassword::parse(input.password)?,
    })
}

fn taken_username() -> Error {
    Error::Conflict(Invalid::new("username", "That username is taken. Choose another."))
}

fn taken_email() -> Error {
    Error::Conflict(Invalid::new(
        "email",
        "An account already uses that email address. Sign in instead, or use another address.",
    ))
}

fn insert_user(conn: &mut DbConnection, reg: &ParsedRegistration, hash: &str, role: Role) -> Result<User, Error> {
    let (username_key, email_key) = (reg.username.key(), reg.email.key());
    if users::username_taken(conn, &username_key)? {
        return Err(taken_username());
    }
    if users::email_taken(conn, &email_key)? {
        return Err(taken_email());
    }
    let new = users::NewUser {
        username: reg.username.as_str(),
        username_key: &username_key,
        email: reg.email.as_str(),
        email_key: &email_key,
        display_name: reg.display_name.as_ref().map(DisplayName::as_str),
        password_hash: hash,
        role: role.as_str(),
        created_at: store::now(),
    };
    users::insert(conn, &new).map(User::from).map_err(|e| {
        // Another request took the name between the check and the insert.
        if store::is_unique_violation(&e) {
            taken_username()
        } else {
            e.into()
        }
    })
}

/// Create an account with the given role. `ip` is the client's address, for the per-IP limit
/// on registrations (the command line passes `None`).
pub async fn register(app: &App, input: Registration, role: Role, ip: Option<&str>) -> Result<User, Error> {
    let reg = parse_registration(app, input).await?;
    // Refuse a taken name before spending 50 ms hashing.
    let (username_key, email_key) = (reg.username.key(), reg.email.key());
    let limit = ip.filter(|_| app.limits_on()).map(|ip| {
        (ip.to_owned(), Limit { max: app.settings.limits.registrations_per_hour, window: Duration::hours(1) })
    });
    let limit_for_insert = limit.clone();
    app.db(move |conn| {
        if let Some((ip, limit)) = &limit {
            let message = "Too many accounts were created from your network in the last hour.";
            rate_limits::check(conn, Action::Register, ip, *limit, store::now(), message)?;
        }
        if users::username_taken(conn, &username_key)? {
            return Err(taken_username());
        }
        if users::email_taken(conn, &email_key)? {
            return Err(taken_email());
        }
        Ok(())
    })
    .await?;
    let hash = app.passwords.hash(reg.password.expose().to_owned()).await?;
    let site = Site::of(app);
    app.write(move |conn| {
        let user = insert_user(conn, &reg, &hash, role)?;
        let now = store::now();
        if let Some((ip, _)) = &limit_for_insert {
            rate_limits::record(conn, Action::Register, ip, now)?;
        }
        account_emails::queue_verification(conn, &site, user.id, &user.email, now)?;
        Ok(user)
    })
    .await
}

/// Start a session for an account.
pub async fn start_session(app: &App, user: User) -> Result<Session, Error> {
    let token = tokens::random_token();
    let csrf_token = tokens::random_token();
    let token_hash = tokens::hash(&token);
    let days = app.settings.session_days;
    let csrf = csrf_token.clone();
    let user_id = user.id;
    app.write(move |conn| {
        let now = store::now();
        sessions::insert(
            conn,
            &sessions::NewSession {
                token_hash: &token_hash,
                user_id,
                csrf_token: &csrf,
                created_at: now,
                expires_at: now + Duration::days(days),
            },
        )?;
        // Expired sessions and rate-limit events are swept as sessions start, so the tables
        // do not grow forever.
        sessions::delete_expired(conn, now)?;
        rate_events::prune(conn, now - Duration::days(2))?;
        Ok(())
    })
    .await?;
    Ok(Session { token, csrf_token, user })
}

/// Check a username-or-email and password, and start a session. Fails the same way, after
/// the same work, whether or not the account exists. `ip` feeds the per-IP failure limit.
pub async fn sign_in(app: &App, login: &str, password: String, ip: Option<&str>) -> Result<Session, Error> {
    let login_key = login.trim().to_lowercase();
    if login_key.is_empty() {
        return Err(Invalid::new("login", "Enter your username or email address.").into());
    }
    let password = LoginPassword::parse(password)?;
    let limits = app.limits_on().then(|| {
        (
            ip.unwrap_or("unknown").to_owned(),
            Limit { max: app.settings.limits.sign_in_failures_per_minute, window: Duration::minutes(1) },
        )
    });
    let (key, checked) = (login_key.clone(), limits.clone());
    let row = app
        .db(move |conn| {
            if let Some((ip, limit)) = &checked {
                let now = store::now();
                rate_limits::check(
                    conn,
                    Action::SignInFailure,
                    ip,
                    *limit,
                    now,
                    "Too many failed sign-ins from your network.",
                )?;
                rate_limits::check_account_delay(conn, &key, now)?;
            }
            Ok(users::find_by_login(conn, &key)?)
        })
        .await?;
    let stored = row.as_ref().map(|r| r.password_hash.clone());
    let ok = app.passwords.verify(password.expose().to_owned(), stored).await?;
    if let Some((ip, _)) = limits {
        let key = login_key.clone();
        app.write(move |conn| {
            let now = store::now();
            if ok {
                rate_limits::clear(conn, Action::SignInFailureForAccount, &key)
            } else {
                rate_limits::record(conn, Action::SignInFailure, &ip, now)?;
                rate_limits::record(conn, Action::SignInFailureForAccount, &key, now)
            }
        })
        .await?;
    }
    match row {
        Some(row) if ok => start_session(app, User::from(row)).await,
        _ => Err(Error::BadCredentials),
    }
}

/// The live session behind a cookie token, if any.
pub async fn session_for_token(app: &App, token: String) -> Result<Option<Session>, Error> {
    let token_hash = tokens::hash(&token);
    let found = app.db(move |conn| Ok(sessions::find_live(conn, &token_hash, store::now())?)).await?;
    Ok(found.map(|(session, user)| Session { token, csrf_token: session.csrf_token, user: User::from(user) }))
}

pub async fn sign_out(app: &App, token: &str) -> Result<(), Error> {
    let token_hash = tokens::hash(token);
    app.write(move |conn| {
        sessions::delete_by_hash(conn, &token_hash)?;
        Ok(())
    })
    .await
}

pub async fn find_by_username(app: &App, username: &str) -> Result<User, Error> {
    let key = Username::key_of(username);
    app.db(move |conn| {
        users::find_by_username_key(conn, &key)?.map(User::from).ok_or_else(|| Error::not_found("That reader"))
    })
    .await
}

pub async fn list(app: &App, search: Option<String>) -> Result<Vec<User>, Error> {
    app.db(move |conn| Ok(users::list(conn, search.as_deref(), 200)?.into_iter().map(User::from).collect())).await
}

/// Change an account's role. Admins may change the role of readers and moderators, but not
/// their own nor another admin's. `actor: None` is the operator at the command line.
pub async fn set_role(app: &App, actor: Option<&User>, username: &str, role: Role) -> Result<User, Error> {
    if let Some(actor) = actor {
        if !actor.is_admin() {
            return Err(Error::forbidden("Only admins can change roles."));
        }
    }
    let actor = actor.cloned();
    let key = Username::key_of(username);
    app.write(move |conn| {
        let target =
            users::find_by_username_key(conn, &key)?.map(User::from).ok_or_else(|| Error::not_found("That reader"))?;
        if let Some(actor) = &actor {
            if actor.id == target.id {
                return Err(Error::forbidden("You cannot change your own role."));
            }
            if target.role >= actor.role {
                return Err(Error::forbidden("You cannot change the role of an account of your rank or higher."));
            }
        }
        users::set_role(conn, target.id, role.as_str())?;
        let entry = NewLogEntry::role_changed(actor.as_ref().map(|a| a.id), target.id, role.as_str(), store::now());
        moderation_log::write(conn, &entry)?;
        if role < target.role {
            // A demotion takes effect at once: the account signs in again with its new role.
            sessions::delete_for_user(conn, target.id)?;
        }
        Ok(User { role, ..target })
    })
    .await
}

/// On a database with no admin, make a one-time setup token and return it; `None` once an
/// admin exists.
pub async fn issue_setup_token(app: &App) -> Result<Option<String>, Error> {
    app.write(|conn| {
        if users::admin_exists(conn)? {
            sessions::delete_setup_tokens(conn)?;
            return Ok(None);
        }
        let token = tokens::random_token();
        sessions::insert_setup_token(conn, &tokens::hash(&token), store::now())?;
        Ok(Some(token))
    })
    .await
}

/// Whether a setup link still works.
pub async fn setup_token_valid(app: &App, token: String) -> Result<bool, Error> {
    app.db(move |conn| Ok(!users::admin_exists(conn)? && sessions::setup_token_exists(conn, &tokens::hash(&token))?))
        .await
}

/// Create the first admin through the setup link. The link stops working once an admin exists.
pub async fn complete_setup(app: &App, token: String, input: Registration) -> Result<User, Error> {
    let gone = || Error::forbidden("This setup link has already been used or is not valid.");
    if !setup_token_valid(app, token.clone()).await? {
        return Err(gone());
    }
    let reg = parse_registration(app, input).await?;
    let hash = app.passwords.hash(reg.password.expose().to_owned()).await?;
    let site = Site::of(app);
    app.write(move |conn| {
        if users::admin_exists(conn)? || !sessions::setup_token_exists(conn, &tokens::hash(&token))? {
            return Err(gone());
        }
        let user = insert_user(conn, &reg, &hash, Role::Admin)?;
        sessions::delete_setup_tokens(conn)?;
        account_emails::queue_verification(conn, &site, user.id, &user.email, store::now())?;
        Ok(user)
    })
    .await
}

/// What a reader's own settings show: whether their address is verified, and whether they
/// asked for reply notifications.
pub async fn email_status(app: &App, user_id: i64) -> Result<(bool, bool), Error> {
    app.db(move |conn| {
        let row = users::find(conn, user_id)?.ok_or(Error::Unauthenticated)?;
        Ok((row.email_verified_at.is_some(), row.notify_replies))
    })
    .await
}
