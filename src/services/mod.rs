//! Use cases. Each runs its writes in one transaction, returns domain values, and knows
//! nothing about HTTP. Pages, the JSON API and the CLI call the same functions.

pub mod account_emails;
pub mod accounts;
pub mod articles;
pub mod comments;
pub mod moderation;
pub mod newsletter;
pub mod passwords;
pub mod rate_limits;
pub mod settings;
pub mod tokens;

use std::sync::Arc;

use crate::config::Settings;
use crate::error::Error;
use crate::store::db::{self, DbConnection, DbPool};

/// What every use case needs: the database, the settings and the shared filters.
#[derive(Clone)]
pub struct App {
    pub pool: DbPool,
    pub settings: Arc<Settings>,
    /// The profanity filter for the current site word lists.
    pub filters: settings::Filters,
    pub passwords: passwords::Passwords,
    /// On SQLite, writers in this process queue here in arrival order. SQLite admits one writer
    /// at a time anyway, and its busy handler retries by sleeping, which under load leaves some
    /// writers waiting seconds while later ones get in.
    writer: Option<Arc<tokio::sync::Mutex<()>>>,
}

impl App {
    /// Connect to the database (migrating it) and build the shared state.
    pub fn open(settings: Settings) -> anyhow::Result<App> {
        let pool = db::connect(&settings.backend(), settings.db_pool_size, settings.sqlite_synchronous)?;
        let writer = settings.backend().is_sqlite().then(|| Arc::new(tokio::sync::Mutex::new(())));
        Ok(App {
            writer,
            pool,
            settings: Arc::new(settings),
            filters: settings::Filters::new(),
            passwords: passwords::Passwords::new(),
        })
    }

    /// Run blocking database work off the async executor, on a pooled connection.
    pub async fn db<T, F>(&self, work: F) -> Result<T, Error>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, Error> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            work(&mut conn)
        })
        .await?
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
        self.db(move |conn| db::write_transaction(conn, work)).await
    }
}

impl crate::email::templates::Site {
    /// The site as e-mails name it and link to it.
    pub fn of(app: &App) -> crate::email::templates::Site {
        crate::email::templates::Site { base_url: app.settings.base_url.clone(), name: app.settings.site_name.clone() }
    }
}
