//! What operators see: request ids, `/metrics`, the JSON log and backups.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use civil::domain::role::Role;
use diesel::{Connection, RunQueryDsl};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::cli::{civil, ok};
use crate::helpers::*;

const TOKEN: &str = "a-metrics-token-for-tests";

fn request_id(page: &Page) -> String {
    page.headers.get("x-request-id").expect("an X-Request-Id header").to_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_the_failure_page_shows_it() {
    let app = spawn().await;
    let reader = app.reader("ada").await;
    let first = reader.get("/").await;
    let second = app.client().get("/no/such/page").await;
    assert_eq!(second.status, StatusCode::NOT_FOUND);
    let (first, second) = (request_id(&first), request_id(&second));
    assert_eq!(first.len(), 36, "a UUID: {first}");
    assert_ne!(first, second, "each request has its own id");

    {
        let mut conn = app.app.pool.get().unwrap();
        let drop = if app.db.is_postgres() { "DROP TABLE sessions CASCADE" } else { "DROP TABLE sessions" };
        diesel::sql_query(drop).execute(&mut conn).unwrap();
    }
    let failed = reader.get("/").await;
    assert_eq!(failed.status, StatusCode::INTERNAL_SERVER_ERROR);
    failed.assert_contains(&format!("quote the reference <code>{}</code>", request_id(&failed)));
    let api = reader.api_get("/api/v1/session").await;
    assert_eq!(api.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(api.headers.contains_key("x-request-id"));
}

#[tokio::test]
async fn metrics_do_not_exist_without_a_token() {
    let app = spawn().await;
    let scraped = app.client().get("/metrics").await;
    assert_eq!(scraped.status, StatusCode::NOT_FOUND);
}

async fn scrape(app: &TestApp, token: &str) -> reqwest::Response {
    reqwest::Client::new().get(format!("{}/metrics", app.address)).bearer_auth(token).send().await.unwrap()
}

fn value(text: &str, series: &str) -> i64 {
    let line = text
        .lines()
        .find(|line| line.rsplit_once(' ').is_some_and(|(name, _)| name == series))
        .unwrap_or_else(|| panic!("no {series} in\n{text}"));
    line.rsplit_once(' ').unwrap().1.parse::<f64>().unwrap() as i64
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_read_the_queues_behind_the_token() {
    let app = spawn_with(|s| s.metrics_token = Some(TOKEN.into())).await;
    assert_eq!(app.client().get("/metrics").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(scrape(&app, "a-metrics-token-for-test").await.status(), StatusCode::UNAUTHORIZED);

    app.article("harbour").await;
    let reader = app.reader("ada").await;
    let flagger = app.reader("bob").await;
    let id = reader.comment("harbour", "The harbour looks grand.").await;
    let flag = flagger.api_post(&format!("/api/v1/comments/{id}/flags"), json!({"reason": "spam"})).await;
    assert!(flag.status.is_success(), "{}", flag.body);
    let anonymous = app.client();
    for _ in 0..3 {
        assert_eq!(anonymous.get("/articles/harbour").await.status, StatusCode::OK);
    }
    assert_eq!(anonymous.get("/articles/nowhere").await.status, StatusCode::NOT_FOUND);
    let mut registering = app.client();
    registering.fetch_csrf().await;
    let registered = registering
        .api_post("/api/v1/accounts", json!({"username": "cyd", "email": "cyd@example.com", "password": PASSWORD}))
        .await;
    assert!(registered.status.is_success(), "{}", registered.body);

    let scraped = scrape(&app, TOKEN).await;
    assert_eq!(scraped.status(), StatusCode::OK);
    assert!(scraped.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let text = scraped.text().await.unwrap();
    let requests = |status: u16| {
        value(
            &text,
            &format!("civil_http_requests_total{{route=\"/articles/{{slug}}\",method=\"GET\",status=\"{status}\"}}"),
        )
    };
    assert_eq!(requests(200), 3);
    assert_eq!(requests(404), 1);
    assert!(!text.contains("/articles/nowhere"), "series are per route pattern, never per address");
    assert_eq!(value(&text, "civil_http_request_duration_seconds_count{route=\"/articles/{slug}\",method=\"GET\"}"), 4);
    assert_eq!(value(&text, "civil_moderation_queue{tab=\"reported\"}"), 1);
    assert_eq!(value(&text, "civil_moderation_queue{tab=\"pending\"}"), 0);
    assert!(value(&text, "civil_outbox_jobs{kind=\"email\",status=\"queued\"}") >= 1, "the verification e-mail");
    assert!(value(&text, "civil_db_pool_wait_seconds_count") > 0);
    assert!(value(&text, "civil_thread_cache_requests_total{result=\"hit\"}") >= 2);
    assert!(value(&text, "civil_db_pool_connections{state=\"idle\"}") >= 1);
    assert!(value(&text, "civil_thread_cache_entries") >= 1, "the page read three times");
    assert!(value(&text, "civil_thread_cache_bytes") > 1000);
    assert!(value(&text, "process_resident_memory_bytes") > 1 << 20);

    app.deliver().await;
    let text = scrape(&app, TOKEN).await.text().await.unwrap();
    assert!(!text.contains("civil_outbox_jobs{kind=\"email\",status=\"queued\"}"), "{text}");
    assert!(value(&text, "civil_outbox_delivery_seconds_count{kind=\"email\"}") >= 1, "{text}");
}

/// The binary as an operator runs it, logging JSON: a reader who quotes the reference on a
/// failure page leads the operator to the log line of that failure.
#[tokio::test]
async fn the_json_log_carries_the_request_id_that_the_failure_page_shows() {
    let db = TestDatabase::new();
    let (mut command, port) = serve_command(&db);
    let mut server = command
        .env("CIVIL_LOG_FORMAT", "json")
        .env_remove("CIVIL_LOG")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run civil serve");
    let stderr = server.stderr.take().unwrap();
    let lines = std::thread::spawn(move || BufReader::new(stderr).lines().map_while(Result::ok).collect::<Vec<_>>());

    let client = reqwest::Client::new();
    let home = format!("http://127.0.0.1:{port}/");
    let mut started = false;
    for _ in 0..300 {
        if client.get(&home).send().await.is_ok() {
            started = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(started, "civil serve answers");
    {
        let mut conn = civil::store::db::DbConnection::establish(&db.url).unwrap();
        let drop = if db.is_postgres() { "DROP TABLE sessions CASCADE" } else { "DROP TABLE sessions" };
        diesel::sql_query(drop).execute(&mut conn).unwrap();
    }
    let failed = client.get(&home).header("cookie", "civil_session=a-session-token").send().await.unwrap();
    assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let id = failed.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(failed.text().await.unwrap().contains(&id), "the page shows the reference");
    let _ = Command::new("kill").args(["-TERM", &server.id().to_string()]).status();
    server.wait().unwrap();

    let lines = lines.join().unwrap();
    let parsed: Vec<Value> = lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    let of_request: Vec<&Value> = parsed
        .iter()
        .filter(|line| {
            line["spans"].as_array().is_some_and(|spans| spans.iter().any(|span| span["request_id"] == id.as_str()))
        })
        .collect();
    assert!(
        of_request.iter().any(|line| line["level"] == "ERROR"),
        "no error line with request_id {id}:\n{}",
        lines.join("\n")
    );
}

#[tokio::test]
async fn a_backup_of_the_running_database_is_whole_and_starts_civil() {
    let db = std::sync::Arc::new(TestDatabase::new());
    let app = spawn_on(db.clone(), |_| {}).await;
    // The copy goes where a fresh SQLite test database would be opened.
    let copy = std::sync::Arc::new(TestDatabase::sqlite());
    let file = std::path::PathBuf::from(&copy.url);
    if db.is_postgres() {
        let answer = civil(&db, &["backup", file.to_str().unwrap()], "");
        assert!(!answer.status.success());
        assert!(String::from_utf8_lossy(&answer.stderr).contains("pg_dump"), "{answer:?}");
        return;
    }
    app.article("harbour").await;
    let reader = app.signed_in("ada", Role::Reader).await;
    reader.comment("harbour", "Kept in the copy.").await;
    // Writers go on while the copy is taken.
    let writing = tokio::spawn(async move {
        for n in 0..20 {
            reader.comment("harbour", &format!("Written during the backup, {n}.")).await;
        }
    });
    let copied = ok(&civil(&db, &["backup", file.to_str().unwrap()], ""));
    assert!(copied.contains("Backed up"), "{copied}");
    writing.await.unwrap();

    let again = civil(&db, &["backup", file.to_str().unwrap()], "");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    let listed = ok(&civil(&copy, &["article", "list"], ""));
    assert!(listed.contains("harbour"), "{listed}");
    let restored = spawn_on(copy, |_| {}).await;
    restored.client().get("/articles/harbour").await.assert_contains("Kept in the copy.");
}
