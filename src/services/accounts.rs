use chrono::{Duration, NaiveDateTime};

use super::account_emails::{self, Site};
use super::rate_limits::{self, Action, Limit, SignInAttempt};
use super::{require_role, tokens, Actor, App};
use crate::config::Settings;
use crate::domain::email::EmailAddress;
use crate::domain::password::{LoginPassword, NewPassword};
use crate::domain::role::Role;
use crate::domain::sso::NO_PASSWORD;
use crate::domain::username::{DisplayName, Username};
use crate::domain::Invalid;
use crate::error::Error;
use crate::store::moderation_log::{self, NewLogEntry};
use crate::store::{self, articles, own_data, rate_events, sessions, users, DbConnection};

pub use crate::domain::account::User;

/// Checked here rather than in `domain::account`: it answers with the app's error.
impl User {
    /// Refuse an action to a suspended or banned reader, saying why and until when.
    pub fn ensure_can_participate(&self, now: NaiveDateTime) -> Result<(), Error> {
        match self.restriction(now) {
            Some(message) => Err(Error::Forbidden(message)),
            None => Ok(()),
        }
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
    pub lifetime: SessionLifetime,
}

/// How long a session lasts in all, and unused. Moderators' and admins' sessions are shorter,
/// since a stolen one can do more harm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLifetime {
    pub absolute: Duration,
    pub idle: Duration,
}

impl SessionLifetime {
    pub fn for_role(settings: &Settings, role: Role) -> SessionLifetime {
        if role >= Role::Moderator {
            SessionLifetime {
                absolute: Duration::hours(settings.staff_session_hours),
                idle: Duration::minutes(settings.staff_session_idle_minutes),
            }
        } else {
            SessionLifetime {
                absolute: Duration::days(settings.session_days),
                idle: Duration::days(settings.session_idle_days),
            }
        }
    }

    fn allows(&self, created_at: NaiveDateTime, last_seen_at: NaiveDateTime, now: NaiveDateTime) -> bool {
        now < created_at + self.absolute && now < last_seen_at + self.idle
    }

    /// `last_seen_at` is written again only once it is this stale (a twentieth of the idle
    /// limit: six minutes for staff), so signed-in pages do not write on every request.
    fn refresh_after(&self) -> Duration {
        self.idle / 20
    }
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

/// Insert the account. An address that already belongs to an account stays with it: the new
/// account is made all the same, without the address attached, and the address's owner is
/// returned so that the caller can tell them.
fn insert_user(
    conn: &mut DbConnection,
    reg: &ParsedRegistration,
    hash: &str,
    role: Role,
    now: NaiveDateTime,
) -> Result<(User, Option<users::UserRow>), Error> {
    let username_key = reg.username.key();
    if users::username_taken(conn, &username_key)? {
        return Err(taken_username());
    }
    let owner = users::find_by_email_key(conn, &reg.email.key())?;
    let email_key = match owner {
        None => reg.email.key(),
        Some(_) => users::unattached_email_key(&username_key),
    };
    let new = users::NewUser {
        username: reg.username.as_str(),
        username_key: &username_key,
        email: reg.email.as_str(),
        email_key: &email_key,
        display_name: reg.display_name.as_ref().map(DisplayName::as_str),
        password_hash: hash,
        role: role.as_str(),
        created_at: now,
        sso_subject: None,
        email_verified_at: None,
    };
    let user = users::insert(conn, &new).map(User::from).map_err(|e| {
        // Another request took the name (or the address) between the check and the insert.
        if store::is_unique_violation(&e) {
            taken_username()
        } else {
            Error::from(e)
        }
    })?;
    Ok((user, owner))
}

/// The mail a registration sends, to the address it was given: a verification link when the
/// address is new, or when an account already has it, a note to that account's owner. Either
/// way one token and one message are written, so the two cannot be told apart.
fn queue_registration_mail(
    conn: &mut DbConnection,
    site: &Site,
    user: &User,
    owner: Option<&users::UserRow>,
    now: NaiveDateTime,
) -> Result<(), Error> {
    match owner {
        None => account_emails::queue_verification(conn, site, user.id, &user.email, now),
        Some(owner) => account_emails::queue_address_taken_notice(conn, site, owner, now),
    }
}

/// Create an account with the given role. `ip` is the client's address, for the per-IP limit
/// on registrations (the command line passes `None`). An address that already belongs to an
/// account makes no difference to the answer: see `insert_user`.
pub async fn register(app: &App, input: Registration, role: Role, ip: Option<&str>) -> Result<User, Error> {
    let reg = parse_registration(app, input).await?;
    let username_key = reg.username.key();
    let limit = ip.filter(|_| app.limits_on()).map(|ip| {
        (ip.to_owned(), Limit { max: app.settings.limits.registrations_per_hour, window: Duration::hours(1) })
    });
    // Refuse a taken name before spending 50 ms hashing, and count this registration before
    // hashing too, so registrations running at once all see each other.
    let reserved = match limit {
        Some((ip, limit)) => {
            let clock = app.clock.clone();
            app.write(move |conn| {
                if users::username_taken(conn, &username_key)? {
                    return Err(taken_username());
                }
                let message = "Too many accounts were created from your network in the last hour.";
                Ok(Some(rate_limits::take(conn, Action::Register, &ip, limit, clock.now(), message)?))
            })
            .await?
        }
        None => {
            let taken = app.db(move |conn| Ok(users::username_taken(conn, &username_key)?)).await?;
            if taken {
                return Err(taken_username());
            }
            None
        }
    };
    let created = async {
        let hash = app.passwords.hash(reg.password.expose().to_owned()).await?;
        let site = Site::of(app);
        let clock = app.clock.clone();
        app.write(move |conn| {
            let now = clock.now();
            let (user, owner) = insert_user(conn, &reg, &hash, role, now)?;
            queue_registration_mail(conn, &site, &user, owner.as_ref(), now)?;
            Ok(user)
        })
        .await
    }
    .await;
    if let (Err(_), Some(event)) = (&created, reserved) {
        // No account was made, so none counts against the limit.
        app.write(move |conn| rate_limits::release(conn, event)).await?;
    }
    created
}

/// Start a session for an account.
pub async fn start_session(app: &App, user: User) -> Result<Session, Error> {
    start_session_after(app, user, None).await
}

/// Start a session, and in the same transaction settle the sign-in attempt that led to it.
async fn start_session_after(app: &App, user: User, attempt: Option<SignInAttempt>) -> Result<Session, Error> {
    let token = tokens::random_token();
    let csrf_token = tokens::random_token();
    let token_hash = tokens::hash(&token);
    let lifetime = SessionLifetime::for_role(&app.settings, user.role);
    let longest_idle = Duration::days(app.settings.session_idle_days).max(lifetime.idle);
    let csrf = csrf_token.clone();
    let user_id = user.id;
    let clock = app.clock.clone();
    app.write(move |conn| {
        let now = clock.now();
        if let Some(attempt) = &attempt {
            rate_limits::sign_in_succeeded(conn, attempt)?;
        }
        sessions::insert(
            conn,
            &sessions::NewSession {
                token_hash: &token_hash,
                user_id,
                csrf_token: &csrf,
                created_at: now,
                last_seen_at: now,
                expires_at: now + lifetime.absolute,
            },
        )?;
        // Expired sessions and rate-limit events are swept as sessions start, so the tables
        // do not grow forever.
        sessions::delete_expired(conn, now, now - longest_idle)?;
        rate_events::prune(conn, now - Duration::days(2))?;
        Ok(())
    })
    .await?;
    Ok(Session { token, csrf_token, user, lifetime })
}

/// Check a username-or-email and password, and start a session. Fails the same way, after
/// the same work, whether or not the account exists. `ip` feeds the per-IP failure limit and
/// the per-account delay, which is kept for each address apart: failures from one address
/// never slow the owner signing in from another.
pub async fn sign_in(app: &App, login: &str, password: String, ip: Option<&str>) -> Result<Session, Error> {
    let login_key = login.trim().to_lowercase();
    let typed = login_key.clone();
    if login_key.is_empty() {
        return Err(Invalid::new("login", "Enter your username or email address.").into());
    }
    let password = LoginPassword::parse(password)?;
    let ip = ip.unwrap_or("unknown").to_owned();
    let per_ip = app
        .limits_on()
        .then(|| Limit { max: app.settings.limits.sign_in_failures_per_minute, window: Duration::minutes(1) });
    let (row, attempt) = match per_ip {
        // The attempt counts as a failure before the password is checked, so that attempts
        // running at the same time see each other; success takes it back.
        Some(per_ip) => {
            let clock = app.clock.clone();
            app.write(move |conn| {
                let row = users::find_by_login(conn, &login_key)?;
                // The account, however it was named; a login no account has is keyed as typed.
                let account = match &row {
                    Some(row) => format!("account {}", row.id),
                    None => format!("login {login_key}"),
                };
                let attempt = rate_limits::begin_sign_in(conn, &account, &ip, per_ip, clock.now())?;
                Ok((row, Some(attempt)))
            })
            .await?
        }
        None => (app.db(move |conn| Ok(users::find_by_login(conn, &login_key)?)).await?, None),
    };
    // An account made by single sign-on, or by an import and not yet claimed, or deleted, has no
    // password: it is checked against the dummy hash, so that it takes as long as any other failure.
    let stored = row
        .as_ref()
        .filter(|r| r.sso_subject.is_none() && r.deleted_at.is_none() && !r.is_unclaimed())
        .filter(|r| r.password_hash != crate::interchange::civil::WITHHELD)
        .map(|r| r.password_hash.clone());
    let ok = app.passwords.verify(password.expose().to_owned(), stored).await?;
    match row {
        // Told only to whoever names it by its username, which is public anyway: an address
        // stays as private as at registration.
        Some(row) if row.sso_subject.is_some() && row.username_key == typed => Err(Error::forbidden(NO_PASSWORD)),
        Some(row) if row.is_unclaimed() && row.username_key == typed => {
            Err(Error::forbidden(crate::domain::import::UNCLAIMED))
        }
        Some(row) if row.password_hash == crate::interchange::civil::WITHHELD && row.username_key == typed => {
            Err(Error::forbidden(crate::domain::import::RESTORED_WITHOUT_PASSWORD))
        }
        Some(row) if ok && row.deleted_at.is_none() => start_session_after(app, User::from(row), attempt).await,
        _ => Err(Error::BadCredentials),
    }
}

/// The live session behind a cookie token, if any. A session past its lifetime is deleted;
/// one that has not been marked seen for a while is marked now.
/// `user_agent` is the browser's, recorded with the time it was seen so that the reader can tell
/// their sessions apart.
pub async fn session_for_token(app: &App, token: String, user_agent: Option<String>) -> Result<Option<Session>, Error> {
    let token_hash = tokens::hash(&token);
    let now = app.clock.now();
    let Some((session, user)) = app.lookup(move |conn| Ok(sessions::find(conn, &token_hash)?)).await? else {
        return Ok(None);
    };
    let user = User::from(user);
    let lifetime = SessionLifetime::for_role(&app.settings, user.role);
    let id = session.id;
    // The end written at sign-in holds too: the settings may have changed since.
    if now >= session.expires_at || !lifetime.allows(session.created_at, session.last_seen_at, now) {
        app.write(move |conn| Ok(sessions::delete(conn, id)?)).await?;
        return Ok(None);
    }
    let user_agent = user_agent.map(|ua| ua.chars().take(MAX_USER_AGENT).collect::<String>());
    // A session's first request after sign-in records its device at once.
    let new_device = session.user_agent.is_none() && user_agent.is_some();
    if new_device || session.last_seen_at + lifetime.refresh_after() <= now {
        app.write(move |conn| Ok(sessions::mark_seen(conn, id, now, user_agent.as_deref())?)).await?;
    }
    Ok(Some(Session { token, csrf_token: session.csrf_token, user, lifetime }))
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
        users::find_by_username_key(conn, &key)?
            .filter(|row| row.deleted_at.is_none())
            .map(User::from)
            .ok_or_else(|| Error::not_found("That reader"))
    })
    .await
}

pub async fn list(app: &App, admin: &User, search: Option<String>) -> Result<Vec<User>, Error> {
    require_role(admin, Role::Admin)?;
    app.db(move |conn| Ok(users::list(conn, search.as_deref(), 200)?.into_iter().map(User::from).collect())).await
}

/// Change an account's role. Admins may change the role of readers and moderators, but not
/// their own nor another admin's. The operator may change any.
pub async fn set_role(app: &App, by: Actor<'_>, username: &str, role: Role) -> Result<User, Error> {
    let actor = by.require(Role::Admin)?.cloned();
    let key = Username::key_of(username);
    let clock = app.clock.clone();
    app.write(move |conn| {
        // A deleted account keeps its name on its comments, and nothing else: no role either.
        let target = users::find_by_username_key(conn, &key)?
            .filter(|row| row.deleted_at.is_none())
            .map(User::from)
            .ok_or_else(|| Error::not_found("That reader"))?;
        if let Some(actor) = &actor {
            if actor.id == target.id {
                return Err(Error::forbidden("You cannot change your own role."));
            }
            if target.role >= actor.role {
                return Err(Error::forbidden("You cannot change the role of an account of your rank or higher."));
            }
        }
        users::set_role(conn, target.id, role.as_str())?;
        let entry = NewLogEntry::role_changed(actor.as_ref().map(|a| a.id), target.id, role.as_str(), clock.now());
        moderation_log::write(conn, &entry)?;
        if role < target.role {
            // A demotion takes effect at once: the account signs in again with its new role.
            sessions::delete_for_user(conn, target.id)?;
        }
        Ok(User { role, ..target })
    })
    .await
}

/// The longest User-Agent kept for a session: enough to name a browser and a system.
const MAX_USER_AGENT: usize = 300;

/// On a database with no admin, make a one-time setup token and return it; `None` once an
/// admin exists.
pub async fn issue_setup_token(app: &App) -> Result<Option<String>, Error> {
    let clock = app.clock.clone();
    app.write(move |conn| {
        if users::admin_exists(conn)? {
            sessions::delete_setup_tokens(conn)?;
            return Ok(None);
        }
        let token = tokens::random_token();
        sessions::insert_setup_token(conn, &tokens::hash(&token), clock.now())?;
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
    let clock = app.clock.clone();
    app.write(move |conn| {
        if users::admin_exists(conn)? || !sessions::setup_token_exists(conn, &tokens::hash(&token))? {
            return Err(gone());
        }
        // The first admin's address must be theirs: the setup link reveals nothing to anyone else.
        if users::email_taken(conn, &reg.email.key())? {
            return Err(taken_email());
        }
        let now = clock.now();
        let (user, _) = insert_user(conn, &reg, &hash, Role::Admin, now)?;
        sessions::delete_setup_tokens(conn)?;
        account_emails::queue_verification(conn, &site, user.id, &user.email, now)?;
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

/// What the account page shows of a reader's account beyond `User`.
#[derive(Debug, Clone)]
pub struct AccountStatus {
    pub email_verified: bool,
    pub notify_replies: bool,
    /// Made by single sign-on: no password, and the publisher sets the name and address.
    pub sso: bool,
}

pub async fn account_status(app: &App, user: &User) -> Result<AccountStatus, Error> {
    let user_id = user.id;
    app.db(move |conn| {
        let row = users::find(conn, user_id)?.ok_or(Error::Unauthenticated)?;
        Ok(AccountStatus {
            email_verified: row.email_verified_at.is_some(),
            notify_replies: row.notify_replies,
            sso: row.sso_subject.is_some(),
        })
    })
    .await
}

/// The publisher names an account made by single sign-on at each sign-in: a name set here
/// would not last.
fn refuse_for_sso(row: &users::UserRow, what: &str) -> Result<(), Error> {
    if row.sso_subject.is_some() {
        return Err(Error::forbidden(format!("Your {what} comes from the site you sign in with: change it there.")));
    }
    Ok(())
}

/// Set (or, with an empty name, clear) the reader's display name. It is checked like a name
/// at registration, against the current site word lists.
pub async fn set_display_name(app: &App, user: &User, input: &str) -> Result<User, Error> {
    let site = super::settings::current(app).await?;
    let filter = app.filters.for_lists(&site.words);
    let name = DisplayName::parse_optional(Some(input), &filter)?;
    let user_id = user.id;
    app.write(move |conn| {
        let row = users::find(conn, user_id)?.ok_or(Error::Unauthenticated)?;
        refuse_for_sso(&row, "name")?;
        users::set_display_name(conn, user_id, name.as_ref().map(DisplayName::as_str))?;
        // Threads are cached by their article's comment version: the new name shows at once.
        for article_id in own_data::articles_commented_on(conn, user_id)? {
            articles::touch_discussion(conn, article_id, 0)?;
        }
        Ok(User::from(users::find(conn, user_id)?.ok_or(Error::Unauthenticated)?))
    })
    .await
}

/// Check the reader's current password, for a change that needs it. An account made by single
/// sign-on has none.
pub async fn check_password(app: &App, user: &User, password: String) -> Result<(), Error> {
    let user_id = user.id;
    let row = app.db(move |conn| users::find(conn, user_id)?.ok_or(Error::Unauthenticated)).await?;
    if row.sso_subject.is_some() {
        return Err(Error::forbidden(NO_PASSWORD));
    }
    let typed = LoginPassword::parse(password)
        .map_err(|_| Error::from(Invalid::new("current_password", "Enter your current password.")))?;
    // Whoever holds a session (a borrowed laptop, a stolen cookie) must not be able to guess
    // the password here at leisure: wrong guesses slow down as wrong sign-ins do, counted apart
    // from the sign-in page's, so that they never slow the owner signing in.
    let attempt = match app.limits_on() {
        true => {
            let per_session =
                Limit { max: app.settings.limits.sign_in_failures_per_minute, window: Duration::minutes(1) };
            let (account, from) = (format!("account {user_id}"), format!("a session of account {user_id}"));
            let clock = app.clock.clone();
            Some(
                app.write(move |conn| rate_limits::begin_sign_in(conn, &account, &from, per_session, clock.now()))
                    .await?,
            )
        }
        false => None,
    };
    if !app.passwords.verify(typed.expose().to_owned(), Some(row.password_hash)).await? {
        return Err(Invalid::new("current_password", "That is not your current password.").into());
    }
    if let Some(attempt) = attempt {
        app.write(move |conn| rate_limits::sign_in_succeeded(conn, &attempt)).await?;
    }
    Ok(())
}

/// Change the password, given the current one. Every other session of the account ends: a
/// reader changing it because someone else knew it wants that someone signed out. The session
/// with `current_token` (the reader's own) stays.
pub async fn change_password(
    app: &App,
    user: &User,
    current_token: &str,
    current: String,
    new: String,
) -> Result<usize, Error> {
    check_password(app, user, current).await?;
    let new = NewPassword::parse(new).map_err(|e| Invalid::new("new_password", e.message))?;
    let hash = app.passwords.hash(new.expose().to_owned()).await?;
    let keep = tokens::hash(current_token);
    let user_id = user.id;
    app.write(move |conn| {
        users::set_password_hash(conn, user_id, &hash)?;
        Ok(sessions::delete_others(conn, user_id, &keep)?)
    })
    .await
}

/// One session an account is signed in on, as its owner sees it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Device {
    pub id: i64,
    pub user_agent: Option<String>,
    pub signed_in_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    /// The session this request came with.
    pub current: bool,
}

/// The reader's sessions, the most recently used first; `current_token` marks their own.
pub async fn devices(app: &App, user: &User, current_token: &str) -> Result<Vec<Device>, Error> {
    let current = tokens::hash(current_token);
    let user_id = user.id;
    app.db(move |conn| {
        Ok(sessions::for_user(conn, user_id)?
            .into_iter()
            .map(|s| Device {
                id: s.id,
                current: s.token_hash == current,
                user_agent: s.user_agent,
                signed_in_at: s.created_at,
                last_seen_at: s.last_seen_at,
            })
            .collect())
    })
    .await
}

/// Sign the reader out on one of their sessions. Another account's session is not found.
pub async fn end_device(app: &App, user: &User, id: i64) -> Result<(), Error> {
    let user_id = user.id;
    app.write(move |conn| match sessions::delete_for_user_by_id(conn, user_id, id)? {
        0 => Err(Error::not_found("That session")),
        _ => Ok(()),
    })
    .await
}

/// Sign the reader out everywhere but here; how many sessions ended.
pub async fn end_other_devices(app: &App, user: &User, current_token: &str) -> Result<usize, Error> {
    let keep = tokens::hash(current_token);
    let user_id = user.id;
    app.write(move |conn| Ok(sessions::delete_others(conn, user_id, &keep)?)).await
}

/// Ask to move the account to another address, given the current password: a link goes to the
/// new address, and nothing changes until it is followed (`account_emails::confirm_email_change`).
/// The answer is the same whether or not another account uses the address.
pub async fn request_email_change(app: &App, user: &User, new_email: &str, password: String) -> Result<(), Error> {
    let new_email = EmailAddress::parse(new_email)?;
    let user_id = user.id;
    let row = app.db(move |conn| users::find(conn, user_id)?.ok_or(Error::Unauthenticated)).await?;
    refuse_for_sso(&row, "e-mail address")?;
    if row.email_attached() && row.email_key == new_email.key() {
        return Err(Invalid::new("email", "That is already your address.").into());
    }
    check_password(app, user, password).await?;
    let site = Site::of(app);
    let clock = app.clock.clone();
    app.write(move |conn| {
        let row = users::find(conn, user_id)?.ok_or(Error::Unauthenticated)?;
        account_emails::queue_email_change(conn, &site, &row, &new_email, clock.now())
    })
    .await
}
