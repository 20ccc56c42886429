//! Start the real server on port 0 with a fresh database, and drive it over HTTP.
//!
//! The backend comes from `CIVIL_TEST_POSTGRES_URL`: unset, each test gets its own SQLite file;
//! set (to an admin connection URL), each test gets its own PostgreSQL database, dropped after.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use civil::clock::Clock;
use civil::config::Settings;
use civil::domain::role::Role;
use civil::services::accounts::{self, Registration};
use civil::services::articles::{self, ArticleForm};
use civil::services::App;
use civil::startup::Application;
use diesel::{Connection, ExpressionMethods, QueryDsl, RunQueryDsl};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{redirect, StatusCode};
use serde_json::{json, Value};

pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestDatabase {
    pub url: String,
    /// The time for every instance on this database: they share it, as servers share real time.
    pub clock: Clock,
    _dir: tempfile::TempDir,
    drop_pg: Option<(String, String)>,
}

impl TestDatabase {
    pub fn new() -> TestDatabase {
        match std::env::var("CIVIL_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty()) {
            None => TestDatabase::sqlite(),
            Some(admin_url) => {
                let dir = tempfile::tempdir().expect("temp dir");
                static COUNTER: AtomicU32 = AtomicU32::new(0);
                let name = format!("civil_test_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
                let mut admin = diesel::PgConnection::establish(&admin_url).expect("connect to the test PostgreSQL");
                diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin).expect("create test database");
                TestDatabase {
                    url: with_database(&admin_url, &name),
                    clock: Clock::movable(),
                    _dir: dir,
                    drop_pg: Some((admin_url, name)),
                }
            }
        }
    }

    /// A SQLite database whatever the backend under test, for tests that compare the two.
    pub fn sqlite() -> TestDatabase {
        let dir = tempfile::tempdir().expect("temp dir");
        TestDatabase {
            url: dir.path().join("civil.db").to_string_lossy().into_owned(),
            clock: Clock::movable(),
            _dir: dir,
            drop_pg: None,
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.drop_pg.is_some()
    }

    /// Take the database away from under the running server.
    pub fn drop_now(&self) {
        if let Some((admin_url, name)) = &self.drop_pg {
            let mut admin = diesel::PgConnection::establish(admin_url).expect("connect");
            diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut admin).expect("drop");
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self._dir.path().to_path_buf()
    }
}

/// Replace the database name in a PostgreSQL URL, keeping host, port and parameters.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let prefix = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.drop_pg {
            if let Ok(mut admin) = diesel::PgConnection::establish(admin_url) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin);
            }
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub app: App,
    pub db: std::sync::Arc<TestDatabase>,
    /// Every test has a real SMTP receiver; the server's own worker is off so tests drive
    /// delivery with `deliver()`.
    pub smtp: std::sync::Arc<crate::smtp::SmtpSink>,
    pub worker: std::sync::Arc<civil::outbox::Worker>,
}

/// A test fails if it leaves e-mail queued that it did not expect to: a message that nobody
/// delivers is a message a test forgot to look at. Verification e-mails, which every sign-up
/// queues, are exempt.
impl Drop for TestApp {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        use civil::store::schema::outbox;
        let Ok(mut conn) = self.app.pool.get() else { return };
        let left: Vec<(String, String)> = outbox::table
            .filter(outbox::status.eq("queued"))
            .filter(outbox::purpose.ne("verify"))
            .select((outbox::purpose, outbox::recipient))
            .load(&mut conn)
            .unwrap_or_default();
        assert!(left.is_empty(), "the test left e-mail queued; deliver it and look at it: {left:?}");
    }
}

pub async fn spawn() -> TestApp {
    spawn_with(|_| {}).await
}

pub async fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let db = std::sync::Arc::new(TestDatabase::new());
    spawn_on(db, adjust).await
}

/// Another instance on the same database (scaling out).
pub async fn spawn_on(db: std::sync::Arc<TestDatabase>, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let smtp = std::sync::Arc::new(crate::smtp::SmtpSink::start());
    let mut settings = Settings::for_database(&db.url, db.data_dir());
    settings.log = "warn".into();
    // Tests post quickly; the rate limits have tests of their own that turn them on.
    settings.rate_limits = false;
    settings.worker = false;
    settings.smtp_url = Some(smtp.url());
    adjust(&mut settings);
    let mailer =
        civil::email::Mailer::new(settings.smtp_url.as_deref(), &settings.mail_from, &settings.data_dir).unwrap();
    // Time-based rules are tested by moving this clock (`TestApp::advance`), not by rewriting rows.
    let application = Application::build_with_clock(settings, db.clock.clone()).await.expect("the application starts");
    let address = format!("http://127.0.0.1:{}", application.port());
    let app = application.app.clone();
    tokio::spawn(application.run_until_stopped());
    let worker = std::sync::Arc::new(civil::outbox::Worker::new(app.clone(), std::sync::Arc::new(mailer)));
    TestApp { address, app, db, smtp, worker }
}

impl TestApp {
    /// Move the clock forward by `by`, for this server, its worker and every other instance on
    /// its database.
    pub fn advance(&self, by: chrono::TimeDelta) {
        self.app.clock.advance(by);
    }

    /// Run the delivery worker until nothing is due.
    pub async fn deliver(&self) -> Vec<civil::outbox::Step> {
        let worker = self.worker.clone();
        tokio::task::spawn_blocking(move || worker.drain()).await.unwrap().expect("delivery")
    }

    /// A browser-like client with its own cookie jar that does not follow redirects.
    pub fn client(&self) -> Client {
        client_for(&self.address)
    }

    /// `client`, sending this User-Agent, as a particular browser would.
    pub fn client_as(&self, user_agent: &str) -> Client {
        Client {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(redirect::Policy::none())
                .pool_idle_timeout(std::time::Duration::from_secs(2))
                .user_agent(user_agent)
                .build()
                .unwrap(),
            base: self.address.clone(),
            csrf: None,
        }
    }

    pub async fn create_user(&self, username: &str, role: Role) {
        accounts::register(
            &self.app,
            Registration {
                username: username.into(),
                email: format!("{username}@example.com"),
                password: PASSWORD.into(),
                display_name: None,
            },
            role,
            None,
        )
        .await
        .expect("create user");
    }

    /// A client signed in as a new account with this role.
    pub async fn signed_in(&self, username: &str, role: Role) -> Client {
        self.create_user(username, role).await;
        let mut client = self.client();
        client.sign_in(username, PASSWORD).await;
        client
    }

    pub async fn reader(&self, username: &str) -> Client {
        self.signed_in(username, Role::Reader).await
    }

    /// Change the site settings (the moderation policy and word lists), as an admin would.
    pub async fn site_settings(&self, change: impl FnOnce(&mut civil::domain::site::SiteSettings)) {
        let mut site = civil::services::settings::current(&self.app).await.unwrap();
        change(&mut site);
        let admin = match accounts::find_by_username(&self.app, "settingsadmin").await {
            Ok(admin) => admin,
            Err(_) => {
                self.create_user("settingsadmin", Role::Admin).await;
                accounts::find_by_username(&self.app, "settingsadmin").await.unwrap()
            }
        };
        civil::services::settings::save(&self.app, &admin, site).await.unwrap();
    }

    pub async fn article(&self, slug: &str) {
        self.article_with(slug, true).await
    }

    pub async fn article_with(&self, slug: &str, comments_open: bool) {
        articles::create(
            &self.app,
            civil::services::Actor::Operator,
            ArticleForm {
                slug: slug.into(),
                title: format!("Title of {slug}"),
                summary: "A summary.".into(),
                body: "The article body, with **markdown**.".into(),
                author_name: "Jo Reporter".into(),
                comments_open,
            },
            true,
        )
        .await
        .expect("create article");
    }
}

pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    /// The CSRF token for API calls (from the session endpoints).
    pub csrf: Option<String>,
}

pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers.get("location").and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// The value of the first `name="csrf_token"` hidden input.
    pub fn csrf(&self) -> String {
        let marker = r#"name="csrf_token" value=""#;
        let start = self.text.find(marker).expect("the page has a CSRF field") + marker.len();
        self.text[start..].split('"').next().unwrap().to_owned()
    }

    pub fn assert_contains(&self, needle: &str) {
        assert!(self.text.contains(needle), "expected {needle:?} in page ({}):\n{}", self.status, self.text);
    }

    pub fn assert_lacks(&self, needle: &str) {
        assert!(!self.text.contains(needle), "did not expect {needle:?} in page ({}):\n{}", self.status, self.text);
    }
}

pub struct Json {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Json {
    pub fn error_code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_else(|| panic!("not an error body: {}", self.body))
    }
}

impl Client {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> Page {
        let response = self.http.get(self.url(path)).send().await.expect("request");
        Page { status: response.status(), headers: response.headers().clone(), text: response.text().await.unwrap() }
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let response = self.http.post(self.url(path)).form(form).send().await.expect("request");
        Page { status: response.status(), headers: response.headers().clone(), text: response.text().await.unwrap() }
    }

    /// Post a form with the CSRF token taken from a page, as a browser would.
    pub async fn submit(&self, form_page: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.get(form_page).await.csrf();
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", &token)];
        form.extend_from_slice(fields);
        self.post_form(action, &form).await
    }

    pub async fn api(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Json {
        let mut request = self.http.request(method, self.url(path));
        if let Some(token) = &self.csrf {
            request = request.header("X-CSRF-Token", HeaderValue::from_str(token).unwrap());
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        Json { status, headers, body }
    }

    pub async fn api_get(&self, path: &str) -> Json {
        self.api(reqwest::Method::GET, path, None).await
    }

    pub async fn api_post(&self, path: &str, body: Value) -> Json {
        self.api(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn api_patch(&self, path: &str, body: Value) -> Json {
        self.api(reqwest::Method::PATCH, path, Some(body)).await
    }

    pub async fn api_delete(&self, path: &str) -> Json {
        self.api(reqwest::Method::DELETE, path, None).await
    }

    /// Fetch a CSRF token for this client (anonymous or not).
    pub async fn fetch_csrf(&mut self) {
        let session = self.api_get("/api/v1/session").await;
        self.csrf = Some(session.body["csrf_token"].as_str().unwrap().to_owned());
    }

    pub async fn sign_in(&mut self, login: &str, password: &str) {
        self.fetch_csrf().await;
        let response = self.api_post("/api/v1/session", json!({"login": login, "password": password})).await;
        assert_eq!(response.status, StatusCode::OK, "sign-in failed: {}", response.body);
        self.csrf = Some(response.body["csrf_token"].as_str().unwrap().to_owned());
    }

    pub async fn comment(&self, slug: &str, body: &str) -> i64 {
        self.try_comment(slug, body, None).await.body["id"].as_i64().expect("comment id")
    }

    pub async fn reply(&self, slug: &str, parent: i64, body: &str) -> i64 {
        let response = self.try_comment(slug, body, Some(parent)).await;
        response.body["id"].as_i64().unwrap_or_else(|| panic!("reply failed: {}", response.body))
    }

    pub async fn try_comment(&self, slug: &str, body: &str, parent: Option<i64>) -> Json {
        self.api_post(&format!("/api/v1/articles/{slug}/comments"), json!({"body": body, "parent_id": parent})).await
    }

    /// The status of a GET sent with one extra header.
    pub async fn http_get_with(&self, path: &str, name: &str, value: &str) -> StatusCode {
        self.http.get(self.url(path)).header(name, value).send().await.expect("request").status()
    }

    pub async fn thread(&self, slug: &str, query: &str) -> Json {
        self.api_get(&format!("/api/v1/articles/{slug}/comments{query}")).await
    }
}

/// Ids of a nested comment list, depth-first.
pub fn ids(comments: &Value) -> Vec<i64> {
    let mut out = Vec::new();
    fn walk(list: &Value, out: &mut Vec<i64>) {
        for c in list.as_array().unwrap() {
            out.push(c["id"].as_i64().unwrap());
            walk(&c["replies"], out);
        }
    }
    walk(comments, &mut out);
    out
}

#[test]
fn database_name_is_replaced() {
    assert_eq!(
        with_database("postgresql://postgres@/postgres?host=/tmp/pg&port=5433", "t1"),
        "postgresql://postgres@/t1?host=/tmp/pg&port=5433"
    );
    assert_eq!(with_database("postgres://u:p@localhost:5432/postgres", "t2"), "postgres://u:p@localhost:5432/t2");
    assert_eq!(with_database("postgres://u@localhost", "t3"), "postgres://u@localhost/t3");
}

/// Write a newsletter issue as an admin and send it to every confirmed subscriber.
pub async fn send_issue(admin: &Client, subject: &str) -> i64 {
    let created = admin
        .submit(
            "/admin/newsletter/issues/new",
            "/admin/newsletter/issues",
            &[("subject", subject), ("body", "This week: **budgets** and [floods](https://news.example/floods).")],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text);
    let id: i64 = created.location().rsplit('/').next().unwrap().parse().unwrap();
    let sent = admin
        .submit(&format!("/admin/newsletter/issues/{id}"), &format!("/admin/newsletter/issues/{id}/send"), &[])
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text);
    id
}

/// A browser-like client of the server at `base`: with cookies, its `Origin`, no redirects.
pub fn client_for(base: &str) -> Client {
    Client {
        // An idle connection is dropped well before the server's 5-second keep-alive ends it,
        // so a request on a loaded machine never races the server closing its connection.
        http: reqwest::Client::builder()
            .cookie_store(true)
            // As browsers do, so that the signed form tokens of pages without a cookie work.
            .default_headers(reqwest::header::HeaderMap::from_iter([(
                reqwest::header::ORIGIN,
                HeaderValue::from_str(base).unwrap(),
            )]))
            .redirect(redirect::Policy::none())
            .pool_idle_timeout(std::time::Duration::from_secs(2))
            .build()
            .unwrap(),
        base: base.to_owned(),
        csrf: None,
    }
}

/// `civil serve`, the built binary as an operator runs it, on `db` and a free port of its own
/// (returned), without the mail worker; stdout and stderr are the caller's to set.
pub fn serve_command(db: &TestDatabase) -> (std::process::Command, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_civil"));
    command
        .arg("serve")
        .env("DATABASE_URL", &db.url)
        .env("CIVIL_DATA_DIR", db.data_dir())
        .env("CIVIL_LISTEN", format!("127.0.0.1:{port}"))
        .env("CIVIL_WORKER", "off")
        .env_remove("CIVIL_CONFIG")
        .current_dir(db.data_dir());
    (command, port)
}

/// `civil serve` on its own port, stopped when dropped.
pub struct Served {
    child: std::process::Child,
    pub base: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    /// Started with `env` on top of `serve_command`'s.
    pub async fn start(db: &TestDatabase, env: &[(&str, &str)]) -> Served {
        let (mut command, port) = serve_command(db);
        command.envs(env.iter().copied());
        let child = command
            .env("CIVIL_LOG", "warn")
            .env("CIVIL_RATE_LIMITS", "off")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("run civil serve");
        let server = Served { child, base: format!("http://127.0.0.1:{port}") };
        let started = std::time::Instant::now();
        while reqwest::get(format!("{}/healthz", server.base)).await.map(|r| r.status() != 200).unwrap_or(true) {
            assert!(started.elapsed() < std::time::Duration::from_secs(60), "civil serve answers /healthz");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        server
    }

    /// Resident memory now, in MiB.
    pub fn resident_mib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/PID/status");
        kib / 1024
    }
}
