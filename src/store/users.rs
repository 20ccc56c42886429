use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::users;
use super::DbConnection;

/// `email_key` is the lower-cased address an account signs in with and gets mail at, unique
/// across accounts. An account registered with an address that already belonged to another has
/// none of its own: its `email_key` is then its `username_key`, which holds no `@`, so it never
/// equals an address key and stays unique.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub username_key: String,
    pub email: String,
    pub email_key: String,
    pub display_name: Option<String>,
    pub password_hash: String,
    pub role: String,
    pub created_at: NaiveDateTime,
    pub email_verified_at: Option<NaiveDateTime>,
    pub always_review: bool,
    pub suspended_until: Option<NaiveDateTime>,
    pub banned_at: Option<NaiveDateTime>,
    pub sanction_reason: Option<String>,
    pub flags_upheld: i64,
    pub flags_dismissed: i64,
    pub approved_comments: i64,
    pub notify_replies: bool,
    pub notify_token: Option<String>,
    /// The publisher's id for an account made by single sign-on. Such an account has no
    /// password (`password_hash` is `NO_PASSWORD`): it signs in only through the publisher.
    pub sso_subject: Option<String>,
    /// When the reader deleted the account: the row is then a tombstone (see `erase`).
    pub deleted_at: Option<NaiveDateTime>,
}

/// The `password_hash` of an account that has no password: no password verifies against it.
pub const NO_PASSWORD: &str = "";

impl UserRow {
    /// Whether `email` is this account's own address (see above).
    pub fn email_attached(&self) -> bool {
        self.email_key.contains('@')
    }

    /// Made by `civil import` for an imported author and not claimed yet: no password, not an
    /// account of single sign-on, and not deleted by its owner. A password reset to its address
    /// claims it.
    pub fn is_unclaimed(&self) -> bool {
        self.password_hash == NO_PASSWORD && self.sso_subject.is_none() && self.deleted_at.is_none()
    }
}

/// The `email_key` of an account whose address belongs to another account.
pub fn unattached_email_key(username_key: &str) -> String {
    debug_assert!(!username_key.contains('@'), "usernames hold no @");
    username_key.to_owned()
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub username_key: &'a str,
    pub email: &'a str,
    pub email_key: &'a str,
    pub display_name: Option<&'a str>,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub created_at: NaiveDateTime,
    pub sso_subject: Option<&'a str>,
    pub email_verified_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConnection, new: &NewUser<'_>) -> QueryResult<UserRow> {
    diesel::insert_into(users::table).values(new).returning(users::all_columns).get_result(conn)
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<UserRow>> {
    users::table.find(id).select(UserRow::as_select()).first(conn).optional()
}

pub fn find_by_username_key(conn: &mut DbConnection, key: &str) -> QueryResult<Option<UserRow>> {
    users::table.filter(users::username_key.eq(key)).select(UserRow::as_select()).first(conn).optional()
}

/// Sign-in accepts a username or an email address.
pub fn find_by_login(conn: &mut DbConnection, key: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::username_key.eq(key).or(users::email_key.eq(key)))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn username_taken(conn: &mut DbConnection, key: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(users::table.filter(users::username_key.eq(key)))).get_result(conn)
}

pub fn email_taken(conn: &mut DbConnection, key: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(users::table.filter(users::email_key.eq(key)))).get_result(conn)
}

pub fn admin_exists(conn: &mut DbConnection) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(users::table.filter(users::role.eq("admin")))).get_result(conn)
}

/// Which of these accounts are admins.
pub fn admins_among(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<i64>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    users::table.filter(users::id.eq_any(ids)).filter(users::role.eq("admin")).select(users::id).load(conn)
}

pub fn set_role(conn: &mut DbConnection, id: i64, role: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id)).set(users::role.eq(role)).execute(conn)
}

/// Accounts that still exist, in sign-up order, newest first, optionally filtered by a name or
/// email fragment.
pub fn list(conn: &mut DbConnection, search: Option<&str>, limit: i64) -> QueryResult<Vec<UserRow>> {
    let mut query = users::table.filter(users::deleted_at.is_null()).select(UserRow::as_select()).into_boxed();
    if let Some(fragment) = search.map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = format!("%{}%", fragment.to_lowercase().replace(['%', '_'], ""));
        query = query.filter(users::username_key.like(pattern.clone()).or(users::email_key.like(pattern)));
    }
    query.order(users::id.desc()).limit(limit).load(conn)
}

pub fn find_by_email_key(conn: &mut DbConnection, key: &str) -> QueryResult<Option<UserRow>> {
    users::table.filter(users::email_key.eq(key)).select(UserRow::as_select()).first(conn).optional()
}

pub fn set_email_verified(conn: &mut DbConnection, id: i64, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(users::table.find(id)).set(users::email_verified_at.eq(Some(at))).execute(conn)
}

pub fn set_password_hash(conn: &mut DbConnection, id: i64, hash: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id)).set(users::password_hash.eq(hash)).execute(conn)
}

pub fn set_notify_replies(conn: &mut DbConnection, id: i64, on: bool, token: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((users::notify_replies.eq(on), users::notify_token.eq(Some(token))))
        .execute(conn)
}

pub fn find_by_notify_token(conn: &mut DbConnection, token: &str) -> QueryResult<Option<UserRow>> {
    users::table.filter(users::notify_token.eq(token)).select(UserRow::as_select()).first(conn).optional()
}

pub fn find_by_sso_subject(conn: &mut DbConnection, subject: &str) -> QueryResult<Option<UserRow>> {
    users::table.filter(users::sso_subject.eq(subject)).select(UserRow::as_select()).first(conn).optional()
}

/// What the publisher says of an SSO account at each sign-in: its display name and address.
pub fn set_sso_profile(
    conn: &mut DbConnection,
    id: i64,
    display_name: Option<&str>,
    email: &str,
    email_key: &str,
    email_verified_at: Option<NaiveDateTime>,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((
            users::display_name.eq(display_name),
            users::email.eq(email),
            users::email_key.eq(email_key),
            users::email_verified_at.eq(email_verified_at),
        ))
        .execute(conn)
}

pub fn set_display_name(conn: &mut DbConnection, id: i64, display_name: Option<&str>) -> QueryResult<usize> {
    diesel::update(users::table.find(id)).set(users::display_name.eq(display_name)).execute(conn)
}

/// Move the account to a new address, proven by a link sent to it.
pub fn set_email(
    conn: &mut DbConnection,
    id: i64,
    email: &str,
    email_key: &str,
    verified_at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((users::email.eq(email), users::email_key.eq(email_key), users::email_verified_at.eq(Some(verified_at))))
        .execute(conn)
}

/// The `email_key` of a deleted account: it holds no `@`, so it never equals an address key,
/// and the id keeps it unique.
pub fn deleted_email_key(id: i64) -> String {
    format!("deleted:{id}")
}

/// Empty a deleted account of everything personal: its address, display name, password, single
/// sign-on id and notification settings. The username stays, reserved, so that nobody else can
/// take it and pass for the reader; it is shown nowhere (`find_by_username_key` still finds it,
/// for moderators' records). Sanctions stay on the record.
pub fn erase(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((
            users::email.eq(""),
            users::email_key.eq(deleted_email_key(id)),
            users::email_verified_at.eq(None::<NaiveDateTime>),
            users::display_name.eq(None::<String>),
            users::password_hash.eq(NO_PASSWORD),
            users::notify_replies.eq(false),
            users::notify_token.eq(None::<String>),
            users::sso_subject.eq(None::<String>),
            users::deleted_at.eq(Some(now)),
        ))
        .execute(conn)
}
