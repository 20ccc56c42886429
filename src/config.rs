//! Settings: built-in defaults, then `civil.toml`, then `CIVIL_*` environment variables.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

use crate::domain::canonical_url::Origin;
use crate::domain::sso::SsoSecret;
use crate::store::db::{Backend, SqliteSynchronous};

/// Every setting, for `civil --help`. tests/it/cli.rs checks that it and the README name each of
/// `setting_names()`.
pub const SETTINGS_HELP: &str = "\
SETTINGS (civil.toml key / environment variable, default):
  listen              CIVIL_LISTEN              127.0.0.1:8080    address and port to serve on
  database_url        DATABASE_URL              <data_dir>/civil.db
                      (or CIVIL_DATABASE_URL)   a SQLite path, or postgres://user:pass@host/db
  base_url            CIVIL_BASE_URL            http://<listen>   public URL, used in links and emails;
                                                                  https makes cookies Secure
  data_dir            CIVIL_DATA_DIR            data              SQLite database and outgoing mail
  site_name           CIVIL_SITE_NAME           Civil             shown in the page header
  sqlite_synchronous  CIVIL_SQLITE_SYNCHRONOUS  full              full (no lost comments on power loss)
                                                                  or normal (faster, may lose the last ones)
  db_pool_size        CIVIL_DB_POOL_SIZE        16                database connections per instance
  workers             CIVIL_WORKERS             <cores>           HTTP worker threads
  edit_window_minutes CIVIL_EDIT_WINDOW_MINUTES 15                how long authors may edit a comment
  session_days        CIVIL_SESSION_DAYS        30                a reader's sign-in lasts at most this long
  session_idle_days   CIVIL_SESSION_IDLE_DAYS   14                a reader's sign-in unused this long ends
  staff_session_hours CIVIL_STAFF_SESSION_HOURS 12                the same for moderators and admins
  staff_session_idle_minutes
                      CIVIL_STAFF_SESSION_IDLE_MINUTES
                                                120               the same for moderators and admins
  thread_cache_size   CIVIL_THREAD_CACHE_SIZE   512               rendered thread pages kept in memory
  thread_cache_mb     CIVIL_THREAD_CACHE_MB     64                memory those pages may take, in MiB
  log                 CIVIL_LOG (or RUST_LOG)   info (request log:  log filter, e.g. civil=debug
                                                errors only)
  log_format          CIVIL_LOG_FORMAT          text              json: one JSON object per line, with the
                                                                  request id (also sent as X-Request-Id)
  metrics_token       CIVIL_METRICS_TOKEN       (none: off)       serve Prometheus metrics at /metrics to
                                                                  requests with Authorization: Bearer <token>
  trusted_proxies     CIVIL_TRUSTED_PROXIES     (none)            comma-separated proxy IPs whose
                                                                  X-Forwarded-For is believed
  embed_origins       CIVIL_EMBED_ORIGINS       (none)            comma-separated origins whose pages may
                                                                  embed discussions, e.g.
                                                                  https://news.example.com (admins add
                                                                  more at /admin/sites)
  rate_limits         CIVIL_RATE_LIMITS         on                off turns every rate limit off
                                                                  (for load tests and benchmarks)
  isso_guests         CIVIL_ISSO_GUESTS         on                Isso's client (under /isso/) posts as a
                                                                  guest, screened like a new commenter;
                                                                  off: it only reads
  smtp_url            CIVIL_SMTP_URL            (none)            smtp://user:pass@host:587?tls=required,
                                                                  smtps://host; none writes .eml files
                                                                  under <data_dir>/mail instead
  mail_from           CIVIL_MAIL_FROM           Civil <civil@localhost>  the From address
  mail_rate           CIVIL_MAIL_RATE           200               messages per second, at most
  mail_connections    CIVIL_MAIL_CONNECTIONS    16                SMTP conversations at once (the worker
                                                                  holds at most db_pool_size/4 database
                                                                  connections, never during SMTP)
  mail_max_attempts   CIVIL_MAIL_MAX_ATTEMPTS   6                 tries before a message is failed
  digest_schedule     CIVIL_DIGEST_SCHEDULE     off               send the weekly digest by itself, e.g.
                                                                  mon 08:00 (UTC)
  worker              CIVIL_WORKER              on                off: `civil serve` sends no mail
                                                                  (run `civil worker` separately)
  sso_secret          CIVIL_SSO_SECRET          (none: off)       single sign-on: the HS256 secret (32+
                                                                  characters) shared with the publisher's site
  [limits] table      CIVIL_LIMIT_<NAME>        see below         rate limit values:
      post_interval_seconds 5, new_account_post_interval_seconds 30, first_day_comments 10,
      flags_per_day 20, registrations_per_hour 5 (per IP), sign_in_failures_per_minute 6 (per IP),
      subscriptions_per_hour 10 (per IP), password_resets_per_hour 5 (per IP),
      votes_per_minute 30; e.g. CIVIL_LIMIT_FLAGS_PER_DAY=50
The configuration file is ./civil.toml, or the path in --config or CIVIL_CONFIG.";

/// Readers' mistakes (a 404, a refused form) are not the operator's concern: the request logger
/// reports only server errors, which it logs at error level. Its request span stays on (at info),
/// so that every line written while serving a request names the request's id.
pub const DEFAULT_LOG: &str = "info,tracing_actix_web::middleware=error";

#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: String,
    pub database_url: String,
    pub base_url: String,
    pub data_dir: PathBuf,
    pub site_name: String,
    pub sqlite_synchronous: SqliteSynchronous,
    pub db_pool_size: u32,
    pub workers: usize,
    pub edit_window_minutes: i64,
    pub session_days: i64,
    pub session_idle_days: i64,
    pub staff_session_hours: i64,
    pub staff_session_idle_minutes: i64,
    pub thread_cache_size: usize,
    pub thread_cache_mb: usize,
    pub log: String,
    pub log_format: LogFormat,
    /// `/metrics` answers, and metrics are collected, only when this is set.
    pub metrics_token: Option<String>,
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Sites whose pages may embed discussions, beside the admins' list (`/admin/sites`).
    pub embed_origins: Vec<Origin>,
    pub rate_limits: bool,
    /// Whether Isso's client (`/isso/`) may post as a guest; off, it only reads.
    pub isso_guests: bool,
    pub limits: Limits,
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub mail_rate: u32,
    pub mail_connections: u32,
    pub mail_max_attempts: i32,
    pub worker: bool,
    pub digest_schedule: Option<crate::services::newsletter::DigestSchedule>,
    /// Single sign-on is on when this is set.
    pub sso_secret: Option<SsoSecret>,
}

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// For people reading a terminal.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Rate limit values. They hold per action and across instances: their state is in the database.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    pub post_interval_seconds: i64,
    pub new_account_post_interval_seconds: i64,
    pub first_day_comments: i64,
    pub flags_per_day: i64,
    pub registrations_per_hour: i64,
    pub sign_in_failures_per_minute: i64,
    pub subscriptions_per_hour: i64,
    pub password_resets_per_hour: i64,
    pub votes_per_minute: i64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            post_interval_seconds: 5,
            new_account_post_interval_seconds: 30,
            first_day_comments: 10,
            flags_per_day: 20,
            registrations_per_hour: 5,
            sign_in_failures_per_minute: 6,
            subscriptions_per_hour: 10,
            password_resets_per_hour: 5,
            // Discourse and Reddit allow some tens of votes a minute: more than anyone reads.
            votes_per_minute: 30,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    listen: Option<String>,
    database_url: Option<String>,
    base_url: Option<String>,
    data_dir: Option<PathBuf>,
    site_name: Option<String>,
    sqlite_synchronous: Option<SqliteSynchronous>,
    db_pool_size: Option<u32>,
    workers: Option<usize>,
    edit_window_minutes: Option<i64>,
    session_days: Option<i64>,
    session_idle_days: Option<i64>,
    staff_session_hours: Option<i64>,
    staff_session_idle_minutes: Option<i64>,
    thread_cache_size: Option<usize>,
    thread_cache_mb: Option<usize>,
    log: Option<String>,
    log_format: Option<LogFormat>,
    metrics_token: Option<String>,
    trusted_proxies: Option<Vec<String>>,
    embed_origins: Option<Vec<String>>,
    rate_limits: Option<bool>,
    isso_guests: Option<bool>,
    limits: Option<Limits>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    mail_rate: Option<u32>,
    mail_connections: Option<u32>,
    mail_max_attempts: Option<i32>,
    worker: Option<bool>,
    digest_schedule: Option<String>,
    sso_secret: Option<String>,
}

/// One setting as an operator sets it: its key in `civil.toml` (for rate limits, its key in the
/// `[limits]` table) and the environment variable that overrides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingName {
    pub key: &'static str,
    pub env: String,
}

/// The environment variable of each `[limits]` value is this prefix and its key in capitals.
pub const LIMIT_ENV_PREFIX: &str = "CIVIL_LIMIT_";

/// Every setting, read from the configuration file's own fields, so that `--help`, the README and
/// the environment can be checked against it and a new setting cannot be left out of them.
pub fn setting_names() -> Vec<SettingName> {
    let top = struct_fields::<FileSettings>().iter().filter(|&&key| key != "limits");
    let top = top.map(|&key| SettingName { key, env: format!("CIVIL_{}", key.to_ascii_uppercase()) });
    let limits = struct_fields::<Limits>()
        .iter()
        .map(|&key| SettingName { key, env: format!("{LIMIT_ENV_PREFIX}{}", key.to_ascii_uppercase()) });
    top.chain(limits).collect()
}

/// The field names serde's derive passes to `deserialize_struct`: a deserializer that only
/// records them and gives up.
fn struct_fields<T: serde::de::DeserializeOwned>() -> &'static [&'static str] {
    use serde::de::{Error, Visitor};

    struct Fields<'a>(&'a mut &'static [&'static str]);

    impl<'de> serde::Deserializer<'de> for Fields<'_> {
        type Error = serde::de::value::Error;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(Error::custom("only a struct's field names are read"))
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(Error::custom("field names read"))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
            unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }

    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Fields(&mut fields));
    fields
}

impl Settings {
    /// Load settings from the file (if any) and the process environment.
    pub fn load(config_path: Option<&Path>) -> anyhow::Result<Settings> {
        let explicit =
            config_path.map(Path::to_path_buf).or_else(|| std::env::var_os("CIVIL_CONFIG").map(PathBuf::from));
        let path = explicit.clone().unwrap_or_else(|| PathBuf::from("civil.toml"));
        let file = match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str::<FileSettings>(&text)
                .with_context(|| format!("invalid configuration file {}", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => FileSettings::default(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        Settings::from_sources(file, |key| std::env::var(key).ok().filter(|v| !v.is_empty()))
    }

    /// Defaults, overridden by the file, overridden by the environment.
    fn from_sources(file: FileSettings, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Settings> {
        fn parsed<T: std::str::FromStr>(env: &impl Fn(&str) -> Option<String>, key: &str) -> anyhow::Result<Option<T>>
        where
            T::Err: std::fmt::Display,
        {
            env(key)
                .map(|v| v.trim().parse::<T>().map_err(|e| anyhow::anyhow!("{key}={v:?} is not valid: {e}")))
                .transpose()
        }

        let listen = env("CIVIL_LISTEN").or(file.listen).unwrap_or_else(|| "127.0.0.1:8080".into());
        let data_dir = env("CIVIL_DATA_DIR").map(PathBuf::from).or(file.data_dir).unwrap_or_else(|| "data".into());
        let database_url = env("DATABASE_URL")
            .or_else(|| env("CIVIL_DATABASE_URL"))
            .or(file.database_url)
            .unwrap_or_else(|| data_dir.join("civil.db").to_string_lossy().into_owned());
        let base_url = env("CIVIL_BASE_URL")
            .or(file.base_url)
            .unwrap_or_else(|| format!("http://{listen}"))
            .trim_end_matches('/')
            .to_owned();
        let sqlite_synchronous = match env("CIVIL_SQLITE_SYNCHRONOUS") {
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "full" => SqliteSynchronous::Full,
                "normal" => SqliteSynchronous::Normal,
                _ => anyhow::bail!("CIVIL_SQLITE_SYNCHRONOUS must be full or normal, not {v:?}"),
            },
            None => file.sqlite_synchronous.unwrap_or(SqliteSynchronous::Full),
        };
        let settings = Settings {
            listen,
            database_url,
            base_url,
            data_dir,
            site_name: env("CIVIL_SITE_NAME").or(file.site_name).unwrap_or_else(|| "Civil".into()),
            sqlite_synchronous,
            db_pool_size: parsed(&env, "CIVIL_DB_POOL_SIZE")?.or(file.db_pool_size).unwrap_or(16),
            workers: parsed(&env, "CIVIL_WORKERS")?
                .or(file.workers)
                .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)),
            edit_window_minutes: parsed(&env, "CIVIL_EDIT_WINDOW_MINUTES")?.or(file.edit_window_minutes).unwrap_or(15),
            session_days: parsed(&env, "CIVIL_SESSION_DAYS")?.or(file.session_days).unwrap_or(30),
            session_idle_days: parsed(&env, "CIVIL_SESSION_IDLE_DAYS")?.or(file.session_idle_days).unwrap_or(14),
            staff_session_hours: parsed(&env, "CIVIL_STAFF_SESSION_HOURS")?.or(file.staff_session_hours).unwrap_or(12),
            staff_session_idle_minutes: parsed(&env, "CIVIL_STAFF_SESSION_IDLE_MINUTES")?
                .or(file.staff_session_idle_minutes)
                .unwrap_or(120),
            thread_cache_size: parsed(&env, "CIVIL_THREAD_CACHE_SIZE")?.or(file.thread_cache_size).unwrap_or(512),
            thread_cache_mb: parsed(&env, "CIVIL_THREAD_CACHE_MB")?.or(file.thread_cache_mb).unwrap_or(64),
            log: env("CIVIL_LOG").or_else(|| env("RUST_LOG")).or(file.log).unwrap_or_else(|| DEFAULT_LOG.into()),
            log_format: match env("CIVIL_LOG_FORMAT") {
                Some(v) => match v.to_ascii_lowercase().as_str() {
                    "text" => LogFormat::Text,
                    "json" => LogFormat::Json,
                    _ => anyhow::bail!("CIVIL_LOG_FORMAT must be text or json, not {v:?}"),
                },
                None => file.log_format.unwrap_or(LogFormat::Text),
            },
            metrics_token: env("CIVIL_METRICS_TOKEN").or(file.metrics_token).filter(|t| !t.trim().is_empty()),
            trusted_proxies: match env("CIVIL_TRUSTED_PROXIES") {
                Some(list) => list.split(',').map(str::to_owned).collect::<Vec<_>>(),
                None => file.trusted_proxies.unwrap_or_default(),
            }
            .iter()
            .map(|ip| ip.trim())
            .filter(|ip| !ip.is_empty())
            .map(|ip| ip.parse().map_err(|_| anyhow::anyhow!("trusted proxy {ip:?} is not an IP address")))
            .collect::<anyhow::Result<_>>()?,
            embed_origins: match env("CIVIL_EMBED_ORIGINS") {
                Some(list) => list.split(',').map(str::to_owned).collect::<Vec<_>>(),
                None => file.embed_origins.unwrap_or_default(),
            }
            .iter()
            .map(|origin| origin.trim())
            .filter(|origin| !origin.is_empty())
            .map(|origin| Origin::parse(origin).map_err(|e| anyhow::anyhow!("embed origin {origin:?}: {e}")))
            .collect::<anyhow::Result<_>>()?,
            rate_limits: match env("CIVIL_RATE_LIMITS") {
                Some(v) => match v.to_ascii_lowercase().as_str() {
                    "on" | "true" | "1" => true,
                    "off" | "false" | "0" => false,
                    _ => anyhow::bail!("CIVIL_RATE_LIMITS must be on or off, not {v:?}"),
                },
                None => file.rate_limits.unwrap_or(true),
            },
            isso_guests: match env("CIVIL_ISSO_GUESTS") {
                Some(v) => match v.to_ascii_lowercase().as_str() {
                    "on" | "true" | "1" => true,
                    "off" | "false" | "0" => false,
                    _ => anyhow::bail!("CIVIL_ISSO_GUESTS must be on or off, not {v:?}"),
                },
                None => file.isso_guests.unwrap_or(true),
            },
            smtp_url: env("CIVIL_SMTP_URL").or(file.smtp_url).filter(|u| !u.trim().is_empty()),
            mail_from: env("CIVIL_MAIL_FROM").or(file.mail_from).unwrap_or_else(|| "Civil <civil@localhost>".into()),
            mail_rate: parsed(&env, "CIVIL_MAIL_RATE")?.or(file.mail_rate).unwrap_or(200),
            mail_connections: parsed(&env, "CIVIL_MAIL_CONNECTIONS")?
                .or(file.mail_connections)
                .unwrap_or(16)
                .clamp(1, 64),
            mail_max_attempts: parsed(&env, "CIVIL_MAIL_MAX_ATTEMPTS")?.or(file.mail_max_attempts).unwrap_or(6),
            digest_schedule: crate::services::newsletter::DigestSchedule::parse(
                &env("CIVIL_DIGEST_SCHEDULE").or(file.digest_schedule).unwrap_or_default(),
            )
            .map_err(anyhow::Error::msg)?,
            sso_secret: env("CIVIL_SSO_SECRET")
                .or(file.sso_secret)
                .filter(|s| !s.trim().is_empty())
                .map(|s| SsoSecret::parse(&s))
                .transpose()
                .map_err(anyhow::Error::msg)?,
            worker: match env("CIVIL_WORKER") {
                Some(v) => !matches!(v.to_ascii_lowercase().as_str(), "off" | "false" | "0"),
                None => file.worker.unwrap_or(true),
            },
            limits: {
                let mut limits = file.limits.unwrap_or_default();
                for (name, value) in [
                    ("POST_INTERVAL_SECONDS", &mut limits.post_interval_seconds),
                    ("NEW_ACCOUNT_POST_INTERVAL_SECONDS", &mut limits.new_account_post_interval_seconds),
                    ("FIRST_DAY_COMMENTS", &mut limits.first_day_comments),
                    ("FLAGS_PER_DAY", &mut limits.flags_per_day),
                    ("REGISTRATIONS_PER_HOUR", &mut limits.registrations_per_hour),
                    ("SIGN_IN_FAILURES_PER_MINUTE", &mut limits.sign_in_failures_per_minute),
                    ("SUBSCRIPTIONS_PER_HOUR", &mut limits.subscriptions_per_hour),
                    ("PASSWORD_RESETS_PER_HOUR", &mut limits.password_resets_per_hour),
                    ("VOTES_PER_MINUTE", &mut limits.votes_per_minute),
                ] {
                    if let Some(v) = parsed(&env, &format!("{LIMIT_ENV_PREFIX}{name}"))? {
                        *value = v;
                    }
                }
                limits
            },
        };
        if let Some(token) = &settings.metrics_token {
            anyhow::ensure!(token.len() >= 16, "metrics_token must be at least 16 characters");
        }
        anyhow::ensure!(settings.db_pool_size > 0, "db_pool_size must be at least 1");
        anyhow::ensure!(settings.workers > 0, "workers must be at least 1");
        anyhow::ensure!(settings.mail_max_attempts > 0, "mail_max_attempts must be at least 1");
        anyhow::ensure!(
            settings.session_days > 0
                && settings.session_idle_days > 0
                && settings.staff_session_hours > 0
                && settings.staff_session_idle_minutes > 0,
            "session lifetimes must be positive"
        );
        anyhow::ensure!(
            settings.base_url.starts_with("http://") || settings.base_url.starts_with("https://"),
            "base_url must start with http:// or https://"
        );
        Ok(settings)
    }

    /// The defaults, for a given database, serving on a free port: what tests and tools start from.
    pub fn for_database(database_url: &str, data_dir: PathBuf) -> Settings {
        let mut settings = Settings::from_sources(FileSettings::default(), |_| None).expect("the defaults are valid");
        settings.listen = "127.0.0.1:0".into();
        settings.database_url = database_url.to_owned();
        settings.data_dir = data_dir;
        settings.workers = 2;
        settings.db_pool_size = 8;
        settings
    }

    pub fn backend(&self) -> Backend {
        Backend::from_url(&self.database_url)
    }

    /// Cookies get the Secure flag when the public URL is https.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn defaults() {
        let s = Settings::from_sources(FileSettings::default(), env(&[])).unwrap();
        assert_eq!(s.listen, "127.0.0.1:8080");
        assert_eq!(s.base_url, "http://127.0.0.1:8080");
        assert_eq!(s.database_url, "data/civil.db");
        assert!(s.backend().is_sqlite());
        assert_eq!(s.sqlite_synchronous, SqliteSynchronous::Full);
        assert!(!s.secure_cookies());
    }

    #[test]
    fn environment_beats_file_beats_default() {
        let file: FileSettings =
            toml::from_str("listen = \"0.0.0.0:9000\"\nsite_name = \"The Herald\"\ndata_dir = \"/srv/civil\"").unwrap();
        let s = Settings::from_sources(
            file,
            env(&[("CIVIL_LISTEN", "0.0.0.0:9999"), ("CIVIL_BASE_URL", "https://news.example/")]),
        )
        .unwrap();
        assert_eq!(s.listen, "0.0.0.0:9999");
        assert_eq!(s.site_name, "The Herald");
        assert_eq!(s.database_url, "/srv/civil/civil.db");
        assert_eq!(s.base_url, "https://news.example");
        assert!(s.secure_cookies());
    }

    #[test]
    fn rate_limits_come_from_file_and_environment() {
        let file: FileSettings =
            toml::from_str("trusted_proxies = [\"10.0.0.1\"]\n[limits]\nflags_per_day = 50").unwrap();
        let s =
            Settings::from_sources(file, env(&[("CIVIL_RATE_LIMITS", "off"), ("CIVIL_LIMIT_FIRST_DAY_COMMENTS", "3")]))
                .unwrap();
        assert!(!s.rate_limits);
        assert_eq!(s.limits.flags_per_day, 50);
        assert_eq!(s.limits.first_day_comments, 3);
        assert_eq!(s.limits.post_interval_seconds, 5);
        assert_eq!(s.trusted_proxies, vec!["10.0.0.1".parse::<std::net::IpAddr>().unwrap()]);
        assert!(Settings::from_sources(FileSettings::default(), env(&[("CIVIL_TRUSTED_PROXIES", "nonsense")])).is_err());
    }

    #[test]
    fn embed_origins_are_parsed_origins() {
        let file: FileSettings = toml::from_str("embed_origins = [\"https://News.example.com/\"]").unwrap();
        let s = Settings::from_sources(file, env(&[])).unwrap();
        assert_eq!(s.embed_origins, vec![Origin::parse("https://news.example.com").unwrap()]);
        let s = Settings::from_sources(
            FileSettings::default(),
            env(&[("CIVIL_EMBED_ORIGINS", "https://a.example, http://localhost:8000")]),
        )
        .unwrap();
        assert_eq!(s.embed_origins.len(), 2);
        assert!(Settings::from_sources(
            FileSettings::default(),
            env(&[("CIVIL_EMBED_ORIGINS", "https://a.example/page")])
        )
        .is_err());
    }

    #[test]
    fn mail_defaults() {
        let s = Settings::from_sources(FileSettings::default(), env(&[])).unwrap();
        assert_eq!((s.mail_rate, s.mail_connections, s.mail_max_attempts), (200, 16, 6));
        assert!(s.worker && s.smtp_url.is_none() && s.digest_schedule.is_none());
        assert!(s.sso_secret.is_none(), "single sign-on is off unless set");
        let s = Settings::from_sources(FileSettings::default(), env(&[("CIVIL_MAIL_CONNECTIONS", "500")])).unwrap();
        assert_eq!(s.mail_connections, 64, "capped");
    }

    #[test]
    fn session_lifetimes_and_the_newer_limits() {
        let s = Settings::from_sources(FileSettings::default(), env(&[])).unwrap();
        assert_eq!((s.session_days, s.session_idle_days), (30, 14));
        assert_eq!((s.staff_session_hours, s.staff_session_idle_minutes), (12, 120));
        assert_eq!((s.limits.votes_per_minute, s.limits.password_resets_per_hour), (30, 5));
        let file: FileSettings = toml::from_str("staff_session_hours = 8\n[limits]\nvotes_per_minute = 60").unwrap();
        let s = Settings::from_sources(
            file,
            env(&[("CIVIL_STAFF_SESSION_IDLE_MINUTES", "30"), ("CIVIL_LIMIT_PASSWORD_RESETS_PER_HOUR", "2")]),
        )
        .unwrap();
        assert_eq!((s.staff_session_hours, s.staff_session_idle_minutes), (8, 30));
        assert_eq!((s.limits.votes_per_minute, s.limits.password_resets_per_hour), (60, 2));
        assert!(Settings::from_sources(FileSettings::default(), env(&[("CIVIL_SESSION_IDLE_DAYS", "0")])).is_err());
    }

    #[test]
    fn every_setting_is_read_from_the_environment() {
        let names = setting_names();
        assert!(names.iter().any(|n| n.key == "listen" && n.env == "CIVIL_LISTEN"));
        assert!(names.iter().any(|n| n.key == "flags_per_day" && n.env == "CIVIL_LIMIT_FLAGS_PER_DAY"));
        assert!(!names.iter().any(|n| n.key == "limits"), "the table itself is not a setting");
        let default = format!("{:?}", Settings::from_sources(FileSettings::default(), env(&[])).unwrap());
        for name in names {
            // A variable that is read either changes a setting or is refused, for one of these.
            let read = ["off", "7", "x\u{2603}"].iter().any(|probe| {
                match Settings::from_sources(FileSettings::default(), env(&[(name.env.as_str(), probe)])) {
                    Ok(settings) => format!("{settings:?}") != default,
                    Err(_) => true,
                }
            });
            assert!(read, "{} (for {}) is not read", name.env, name.key);
        }
    }

    #[test]
    fn the_sso_secret_is_long_enough_and_never_printed() {
        let secret = "a-secret-of-at-least-32-characters-0123";
        let s = Settings::from_sources(FileSettings::default(), env(&[("CIVIL_SSO_SECRET", secret)])).unwrap();
        assert_eq!(s.sso_secret, Some(SsoSecret::parse(secret).unwrap()));
        assert!(!format!("{s:?}").contains(secret));
        assert!(Settings::from_sources(FileSettings::default(), env(&[("CIVIL_SSO_SECRET", "short")])).is_err());
    }

    #[test]
    fn postgres_url_selects_postgres() {
        let s =
            Settings::from_sources(FileSettings::default(), env(&[("DATABASE_URL", "postgres://u@localhost/civil")]))
                .unwrap();
        assert!(!s.backend().is_sqlite());
    }

    #[test]
    fn refuses_bad_values_and_unknown_keys() {
        assert!(Settings::from_sources(FileSettings::default(), env(&[("CIVIL_DB_POOL_SIZE", "many")])).is_err());
        assert!(Settings::from_sources(FileSettings::default(), env(&[("CIVIL_SQLITE_SYNCHRONOUS", "off")])).is_err());
        assert!(toml::from_str::<FileSettings>("lisen = \"x\"").is_err());
    }
}
