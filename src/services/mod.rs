//! Use cases. Each runs its writes in one transaction, returns domain values, and knows
//! nothing about HTTP. Pages, the JSON API and the CLI call the same functions.
//!
//! Services depend on each other one way. In this order, each may use only those before it
//! (a test below reads the sources and fails otherwise):
//!
//! 1. `tokens`, `passwords`, `rate_limits`: building blocks with no rules of their own;
//!    `metrics`: the figures `/metrics` shows, read from the store;
//!    `webhooks`: the endpoints, and announcing a change on its own transaction, so that every
//!    service that changes a comment can announce it;
//!    `live`: the event log and the streams it feeds, recorded the same way;
//! 2. `articles`: what there is to discuss;
//! 3. `threads`: a thread as a whole: paging, status changes with their counts, closing;
//!    `feeds`: the latest published comments, for the Atom feeds;
//!    `embeds`: the sites allowed to embed, external threads and their counts;
//! 4. `settings`: the site settings admins change (saving a shorter auto-close closes threads);
//! 5. `newsletter`, `account_emails`: subscribers and issues, then the messages accounts get;
//! 6. `accounts`: registration, sessions, roles;
//! 7. `sso`: single sign-on with the publisher's site (finds or makes accounts, starts sessions);
//! 8. `comments`: writing (post, edit, delete, vote) and screening what is written;
//! 9. `moderation`: flags, the queue, decisions, sanctions and the log;
//! 10. `account_data`: a reader's own data: downloading it, and deleting the account.
//! 11. `imports`: other systems' comments brought in (threads, accounts, comments).
//! 12. `isso`: Isso's own client speaking to Civil (guests, threads by path, edit cookies).
//! 13. `export`: the whole site taken out as one file, and restored from it.
//!
//! Privileged use cases take the acting `User` (or an `Actor`, where the command line calls
//! them too) and check it with `require_role`, the one authorisation rule, so no caller, page,
//! API route or command, can skip it.

pub mod account_data;
pub mod account_emails;
pub mod accounts;
pub mod articles;
pub mod comments;
pub mod embeds;
pub mod export;
pub mod feeds;
pub mod imports;
pub mod isso;
pub mod live;
pub mod metrics;
pub mod moderation;
pub mod newsletter;
pub mod passwords;
pub mod rate_limits;
pub mod settings;
pub mod sso;
pub mod threads;
pub mod tokens;
pub mod webhooks;

/// The services in dependency order (see above).
pub const ORDER: [&str; 21] = [
    "tokens",
    "metrics",
    "passwords",
    "rate_limits",
    "webhooks",
    "live",
    "articles",
    "threads",
    "feeds",
    "embeds",
    "settings",
    "newsletter",
    "account_emails",
    "accounts",
    "sso",
    "comments",
    "moderation",
    "account_data",
    "imports",
    "isso",
    "export",
];

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Settings;
use crate::domain::account::User;
use crate::domain::role::Role;
use crate::error::Error;
use crate::store::db::{self, DbConnection, DbPool};

/// What every use case needs: the database, the settings, the clock and the shared filters.
#[derive(Clone)]
pub struct App {
    pub pool: DbPool,
    pub settings: Arc<Settings>,
    /// The profanity filter for the current site word lists.
    pub filters: settings::Filters,
    pub passwords: passwords::Passwords,
    /// The only source of "now" for rules about time (tests build the app with a movable one).
    pub clock: Clock,
    /// Previews a reader asks for while typing, counted in this process (`comments::preview`).
    pub previews: Arc<rate_limits::LocalLimit>,
    /// The admins' list of sites that may embed, read at most every few seconds.
    pub embed_sites: embeds::SiteList,
    /// This instance's figures for `/metrics` (recorded only when it is on).
    pub metrics: Arc<crate::metrics::Metrics>,
    /// This instance's live streams (`live`).
    pub live: Arc<live::Hub>,
    /// On SQLite, writers in this process queue here in arrival order. SQLite admits one writer
    /// at a time anyway, and its busy handler retries by sleeping, which under load leaves some
    /// writers waiting seconds while later ones get in.
    writer: Option<Arc<tokio::sync::Mutex<()>>>,
}

impl App {
    /// Connect to the database (migrating it) and build the shared state, on the system clock.
    pub fn open(settings: Settings) -> anyhow::Result<App> {
        App::open_with_clock(settings, Clock::system())
    }

    /// `open`, reading time from `clock`.
    pub fn open_with_clock(settings: Settings, clock: Clock) -> anyhow::Result<App> {
        let pool = db::connect(&settings.backend(), settings.db_pool_size, settings.sqlite_synchronous)?;
        let writer = settings.backend().is_sqlite().then(|| Arc::new(tokio::sync::Mutex::new(())));
        Ok(App {
            metrics: Arc::new(crate::metrics::Metrics::new(settings.metrics_token.is_some())),
            writer,
            pool,
            settings: Arc::new(settings),
            filters: settings::Filters::new(),
            passwords: passwords::Passwords::new(),
            clock,
            previews: Arc::new(rate_limits::LocalLimit::new(comments::PREVIEW_LIMIT)),
            embed_sites: embeds::SiteList::default(),
            live: Arc::default(),
        })
    }

    /// Run blocking database work off the async executor, on a pooled connection.
    pub async fn db<T, F>(&self, work: F) -> Result<T, Error>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, Error> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let metrics = self.metrics.enabled().then(|| self.metrics.clone());
        tokio::task::spawn_blocking(move || {
            let mut conn = match metrics {
                Some(metrics) => {
                    let asked = std::time::Instant::now();
                    let conn = pool.get();
                    metrics.pool_wait.observe(asked.elapsed());
                    conn?
                }
                None => pool.get()?,
            };
            work(&mut conn)
        })
        .await?
    }

    /// Like `db`, for a read of a few rows by key on a hot path (the session, the article, a
    /// reader's marks on it). On SQLite, when a connection is free, it runs right here: the
    /// file answers in microseconds, and in WAL mode a read does not wait for writers, while
    /// handing the work to a blocking thread and back cost several times the query.
    pub async fn lookup<T, F>(&self, work: F) -> Result<T, Error>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, Error> + Send + 'static,
        T: Send + 'static,
    {
        if self.writer.is_some() {
            if let Some(mut conn) = self.pool.try_get() {
                return work(&mut conn);
            }
        }
        self.db(work).await
    }

    /// Like `db`, inside one write transaction.
    pub async fn write<T, F>(&self, work: F) -> Result<T, Error>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, Error> + Send + 'static,
        T: Send + 'static,
    {
        let _turn = match &self.writer {
            Some(writer) => Some(writer.clone().lock_owned().await),
            None => None,
        };
        let (value, news) = self
            .db(move |conn| {
                let value = db::write_transaction(conn, work)?;
                Ok((value, crate::store::live::take_flushed()))
            })
            .await?;
        if news {
            self.live.poke();
        }
        Ok(value)
    }
}

/// Who performs a privileged use case.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    /// A signed-in account, held to `require_role`.
    Account(&'a User),
    /// The operator: the command line on the server, and Civil's own schedules. Whoever runs
    /// them already holds the database, so no role applies.
    Operator,
}

impl<'a> Actor<'a> {
    /// Check the rule; the account acting, if it is one.
    pub fn require(self, role: Role) -> Result<Option<&'a User>, Error> {
        match self {
            Actor::Account(user) => require_role(user, role).map(|()| Some(user)),
            Actor::Operator => Ok(None),
        }
    }
}

impl<'a> From<&'a User> for Actor<'a> {
    fn from(user: &'a User) -> Actor<'a> {
        Actor::Account(user)
    }
}

/// The one authorisation rule: `user` acts only with `role` or a higher one.
pub fn require_role(user: &User, role: Role) -> Result<(), Error> {
    if user.role >= role {
        return Ok(());
    }
    Err(Error::forbidden(match role {
        Role::Admin => "Only admins can do that.",
        Role::Moderator | Role::Reader => "Only moderators and admins can do that.",
    }))
}

impl crate::email::templates::Site {
    /// The site as e-mails name it and link to it.
    pub fn of(app: &App) -> crate::email::templates::Site {
        crate::email::templates::Site { base_url: app.settings.base_url.clone(), name: app.settings.site_name.clone() }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::ORDER;

    /// The services a service's source names, as `super::x` or `services::x`.
    fn services_used(source: &str) -> Vec<&'static str> {
        ORDER
            .iter()
            .copied()
            .filter(|name| {
                ["super::", "services::", "super::{", "services::{"].iter().any(|prefix| {
                    source.match_indices(prefix).any(|(at, _)| {
                        let rest = &source[at + prefix.len()..];
                        let listed = if prefix.ends_with('{') { &rest[..rest.find('}').unwrap_or(0)] } else { rest };
                        listed
                            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                            .take(if prefix.ends_with('{') { usize::MAX } else { 1 })
                            .any(|word| word == *name)
                    })
                })
            })
            .collect()
    }

    fn source_of(service: &str) -> String {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/services");
        let file = dir.join(format!("{service}.rs"));
        if file.exists() {
            return std::fs::read_to_string(file).unwrap();
        }
        // A service split into a folder: all its files.
        let mut all = String::new();
        for entry in std::fs::read_dir(dir.join(service)).unwrap_or_else(|e| panic!("services/{service}: {e}")) {
            all.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
        }
        all
    }

    #[test]
    fn services_use_only_services_before_them() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/services");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().trim_end_matches(".rs").to_owned())
            .filter(|name| name != "mod")
            .collect();
        on_disk.sort();
        let mut listed: Vec<String> = ORDER.iter().map(|s| s.to_string()).collect();
        listed.sort();
        assert_eq!(on_disk, listed, "every service has its place in ORDER");
        for (place, service) in ORDER.iter().enumerate() {
            for used in services_used(&source_of(service)) {
                let used_place = ORDER.iter().position(|s| *s == used).unwrap();
                assert!(
                    used_place < place || used == *service,
                    "services::{service} uses services::{used}, which comes after it in services::ORDER"
                );
            }
        }
    }

    #[test]
    fn the_check_sees_every_way_of_naming_a_service() {
        assert_eq!(services_used("use super::settings::{self, X};"), vec!["settings"]);
        assert_eq!(services_used("use super::{rate_limits, App};"), vec!["rate_limits"]);
        assert_eq!(services_used("let s = super::threads::page(app);"), vec!["threads"]);
        assert_eq!(services_used("use crate::services::moderation;"), vec!["moderation"]);
        assert_eq!(services_used("use crate::store::settings;"), Vec::<&str>::new());
    }
}
