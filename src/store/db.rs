//! The database: which backend, the connection pool, SQLite pragmas, and embedded migrations.

use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{CustomizeConnection, HandleError, ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

pub type DbPool = Pool<DbManager>;
pub type PooledDb = PooledConnection<DbManager>;

/// Opens the pool's connections with the backend's own `establish`, so that a failure keeps its
/// real cause ("Connection refused", "No such file or directory") instead of the multi-connection's
/// "Invalid connection url for multiconnection", which is all an operator would otherwise see
/// during a database outage.
#[derive(Debug, Clone)]
pub struct DbManager {
    backend: Backend,
}

impl DbManager {
    pub fn new(backend: Backend) -> DbManager {
        DbManager { backend }
    }
}

impl ManageConnection for DbManager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, diesel::r2d2::Error> {
        keep_sqlite_query_plans();
        match &self.backend {
            Backend::Sqlite { path } => SqliteConnection::establish(path).map(DbConnection::Sqlite),
            Backend::Postgres { url } => PgConnection::establish(url).map(DbConnection::Pg),
        }
        .map_err(diesel::r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), diesel::r2d2::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

/// Have every SQLite connection this process opens keep its query plans (SQLite's query
/// planner stability guarantee). Without it SQLite plans a statement for the values bound to
/// it where they could change the plan, and `LIMIT ?` always could: every `.first()` was
/// parsed and planned again at each run, the prepared statement cache bypassed, and that was
/// a fifth of a signed-in page's CPU.
pub fn keep_sqlite_query_plans() {
    static REGISTERED: std::sync::Once = std::sync::Once::new();
    REGISTERED.call_once(|| {
        // SAFETY: registers a function with the signature SQLite calls it with; it only sets a
        // flag on the connection it is given.
        let status = unsafe { libsqlite3_sys::sqlite3_auto_extension(Some(keep_query_plans)) };
        assert_eq!(status, libsqlite3_sys::SQLITE_OK, "registering an SQLite connection hook");
    });
}

unsafe extern "C" fn keep_query_plans(
    db: *mut libsqlite3_sys::sqlite3,
    _error: *mut *mut std::ffi::c_char,
    _api: *const libsqlite3_sys::sqlite3_api_routines,
) -> std::ffi::c_int {
    // SAFETY: `db` is the connection SQLite is opening; the option takes an int and an
    // optional out-pointer.
    unsafe {
        libsqlite3_sys::sqlite3_db_config(
            db,
            libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as std::ffi::c_int,
            std::ptr::null_mut::<std::ffi::c_int>(),
        )
    }
}

/// The pool's own failures (a connection that cannot be opened) go to the log with their cause.
#[derive(Debug, Clone, Copy)]
struct LogPoolErrors;

impl HandleError<diesel::r2d2::Error> for LogPoolErrors {
    fn handle_error(&self, error: diesel::r2d2::Error) {
        tracing::warn!(%error, "cannot open a database connection");
    }
}

/// Where the data lives, parsed from `DATABASE_URL`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite { path: String },
    Postgres { url: String },
}

impl Backend {
    pub fn from_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres { url: url.to_owned() }
        } else {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            let path = path.strip_prefix("sqlite:").unwrap_or(path);
            Backend::Sqlite { path: path.to_owned() }
        }
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self, Backend::Sqlite { .. })
    }
}

/// Copy a SQLite database, which may be in use, to `file`: `VACUUM INTO` reads one consistent
/// snapshot while writers go on (the database is in WAL mode). The copy is written beside `file`
/// and renamed into place, so `file` is either absent or whole.
pub fn backup_sqlite(database: &str, file: &std::path::Path) -> anyhow::Result<()> {
    use anyhow::Context;
    use diesel::RunQueryDsl;

    anyhow::ensure!(!file.exists(), "{} already exists: choose a new file for the backup", file.display());
    anyhow::ensure!(std::path::Path::new(database).exists(), "there is no SQLite database at {database}");
    let mut partial = file.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let _ = std::fs::remove_file(&partial);
    let mut conn = SqliteConnection::establish(database).with_context(|| format!("cannot open {database}"))?;
    conn.batch_execute("PRAGMA busy_timeout = 10000;")?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<diesel::sql_types::Text, _>(partial.to_string_lossy().as_ref())
        .execute(&mut conn)
        .with_context(|| format!("cannot write the backup to {}", partial.display()))?;
    std::fs::rename(&partial, file).with_context(|| format!("cannot move the backup to {}", file.display()))?;
    Ok(())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSynchronous {
    Full,
    Normal,
}

#[derive(Debug)]
struct SqlitePragmas {
    synchronous: SqliteSynchronous,
}

impl CustomizeConnection<DbConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), diesel::r2d2::Error> {
        if let DbConnection::Sqlite(conn) = conn {
            let synchronous = match self.synchronous {
                SqliteSynchronous::Full => "FULL",
                SqliteSynchronous::Normal => "NORMAL",
            };
            // busy_timeout first, so the other pragmas wait for a lock rather than fail.
            conn.batch_execute(&format!(
                "PRAGMA busy_timeout = 10000; PRAGMA synchronous = {synchronous}; PRAGMA foreign_keys = ON;"
            ))
            .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

/// Open (and for SQLite, create) the database, and run pending migrations.
pub fn connect(backend: &Backend, pool_size: u32, synchronous: SqliteSynchronous) -> anyhow::Result<DbPool> {
    if let Backend::Sqlite { path } = backend {
        if let Some(dir) = std::path::Path::new(path).parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| anyhow::anyhow!("cannot create the database directory {}: {e}", dir.display()))?;
            }
        }
    }
    check_connect(backend)?;
    // A PostgreSQL connection can be lost with its server (a restart, a failover): the pool tries
    // it before handing it out, so that requests get a live one. An SQLite connection is a file
    // handle, which cannot be lost that way, and a query to try it cost as much as a page's.
    let pool = pool_builder(pool_size, synchronous)
        .test_on_check_out(!backend.is_sqlite())
        .build(DbManager::new(backend.clone()))?;
    let mut conn = pool.get()?;
    run_migrations(&mut conn)?;
    Ok(pool)
}

fn pool_builder(pool_size: u32, synchronous: SqliteSynchronous) -> diesel::r2d2::Builder<DbManager> {
    Pool::builder()
        .max_size(pool_size)
        .min_idle(Some(pool_size.min(2)))
        .connection_timeout(Duration::from_secs(10))
        .error_handler(Box::new(LogPoolErrors))
        .connection_customizer(Box::new(SqlitePragmas { synchronous }))
}

/// Open one connection before the pool does, to set WAL and to fail at start with a clear cause.
fn check_connect(backend: &Backend) -> anyhow::Result<()> {
    match backend {
        Backend::Sqlite { path } => {
            keep_sqlite_query_plans();
            let mut conn = SqliteConnection::establish(path)
                .map_err(|e| anyhow::anyhow!("cannot open SQLite database {path}: {e}"))?;
            // WAL is a property of the database file: set it once, before the pool opens.
            conn.batch_execute("PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL;")
                .map_err(|e| anyhow::anyhow!("cannot switch {path} to WAL mode: {e}"))?;
        }
        Backend::Postgres { url } => {
            PgConnection::establish(url).map_err(|e| anyhow::anyhow!("cannot connect to PostgreSQL: {e}"))?;
        }
    }
    Ok(())
}

pub fn run_migrations(conn: &mut DbConnection) -> anyhow::Result<()> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        DbConnection::Pg(c) => {
            // Several instances may start at once against one database; the advisory lock makes
            // them migrate one after another.
            c.batch_execute("SELECT pg_advisory_lock(7266871)")?;
            let result = c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len());
            c.batch_execute("SELECT pg_advisory_unlock(7266871)")?;
            result
        }
    }
    .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
    if applied > 0 {
        tracing::info!(applied, "database migrated");
    }
    Ok(())
}

/// Run `f` in a transaction that takes the write lock up front. On SQLite a deferred transaction
/// that reads and then writes fails with SQLITE_BUSY when another writer got in between;
/// `BEGIN IMMEDIATE` waits for the lock instead.
pub fn write_transaction<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    match conn {
        DbConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        DbConnection::Pg(c) => AnsiTransactionManager::begin_transaction(c)?,
    }
    super::live::begin();
    // The live events go last (see `store::live`).
    let outcome = f(conn).and_then(|value| super::live::flush(conn).map(|()| value).map_err(E::from));
    super::live::discard();
    match outcome {
        Ok(value) => match <DbConnection as Connection>::TransactionManager::commit_transaction(conn) {
            Ok(()) => Ok(value),
            Err(commit_error) => {
                let _ = <DbConnection as Connection>::TransactionManager::rollback_transaction(conn);
                Err(commit_error.into())
            }
        },
        Err(error) => {
            <DbConnection as Connection>::TransactionManager::rollback_transaction(conn)?;
            Err(error)
        }
    }
}

/// `true` when the database answers a trivial query.
pub fn ping(conn: &mut DbConnection) -> bool {
    conn.batch_execute("SELECT 1").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a request waiting for a connection during a PostgreSQL outage reports.
    fn outage_error(url: &str) -> String {
        let pool = pool_builder(2, SqliteSynchronous::Full)
            .min_idle(Some(0))
            .connection_timeout(Duration::from_millis(500))
            .build_unchecked(DbManager::new(Backend::from_url(url)));
        pool.get().err().expect("nothing listens there").to_string()
    }

    thread_local! {
        /// The SQLite connection last opened on this thread, as SQLite's handle.
        static OPENED: std::cell::Cell<*mut libsqlite3_sys::sqlite3> = const { std::cell::Cell::new(std::ptr::null_mut()) };
    }

    unsafe extern "C" fn note_opened(
        db: *mut libsqlite3_sys::sqlite3,
        _error: *mut *mut std::ffi::c_char,
        _api: *const libsqlite3_sys::sqlite3_api_routines,
    ) -> std::ffi::c_int {
        OPENED.set(db);
        libsqlite3_sys::SQLITE_OK
    }

    /// How many times the statements of this SQLite connection were prepared again.
    fn prepared_again(db: *mut libsqlite3_sys::sqlite3) -> i32 {
        let mut total = 0;
        // SAFETY: `db` is a live connection, used on this thread only.
        unsafe {
            let mut stmt = libsqlite3_sys::sqlite3_next_stmt(db, std::ptr::null_mut());
            while !stmt.is_null() {
                total += libsqlite3_sys::sqlite3_stmt_status(stmt, libsqlite3_sys::SQLITE_STMTSTATUS_REPREPARE, 0);
                stmt = libsqlite3_sys::sqlite3_next_stmt(db, stmt);
            }
        }
        total
    }

    #[test]
    fn a_query_with_a_bound_limit_is_planned_once() {
        // SAFETY: the hook only notes the handle of the connection being opened.
        unsafe { libsqlite3_sys::sqlite3_auto_extension(Some(note_opened)) };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plans.db").to_string_lossy().into_owned();
        let mut conn = DbManager::new(Backend::Sqlite { path }).connect().unwrap();
        let db = OPENED.get();
        assert!(!db.is_null());
        run_migrations(&mut conn).unwrap();
        crate::store::articles::find_by_slug(&mut conn, "first").unwrap();
        let before = prepared_again(db);
        // `.first()` sends `LIMIT ?`, bound anew at each run.
        for slug in ["one", "two", "three", "four"] {
            crate::store::articles::find_by_slug(&mut conn, slug).unwrap();
        }
        assert_eq!(prepared_again(db), before);
    }

    #[test]
    fn a_failed_postgres_connection_names_its_cause() {
        let refused = outage_error("postgres://civil@127.0.0.1:1/civil?connect_timeout=2");
        assert!(refused.contains("Connection refused"), "{refused}");
        let no_socket = outage_error("postgresql://civil@/civil?host=/nonexistent-civil-socket-dir");
        assert!(no_socket.contains("No such file or directory"), "{no_socket}");
        assert!(!no_socket.contains("multiconnection"), "{no_socket}");
    }
}
