//! E-mail under faults: which SMTP refusals bounce a subscriber and which only make mail wait;
//! pages while a slow relay holds every sender; a clean stop on SIGTERM.

use std::sync::Arc;
use std::time::{Duration, Instant};

use civil::domain::role::Role;
use civil::outbox::Worker;
use civil::store::schema::{outbox, subscribers};
use civil::store::DbConnection;
use diesel::{Connection, ExpressionMethods, QueryDsl, RunQueryDsl};
use reqwest::StatusCode;

use crate::helpers::{send_issue, spawn, spawn_with, TestApp, TestDatabase};
use crate::smtp::{AuthRefusingRelay, Mode, SmtpSink};

/// Confirmed subscribers, written straight into the table (the opt-in has its own tests).
fn subscribers(app: &TestApp, addresses: &[&str]) {
    let mut conn = app.app.pool.get().unwrap();
    for address in addresses {
        let now = app.app.clock.now();
        diesel::insert_into(subscribers::table)
            .values((
                subscribers::email.eq(*address),
                subscribers::email_key.eq(address.to_lowercase()),
                subscribers::status.eq("confirmed"),
                subscribers::unsubscribe_token.eq(civil::services::tokens::random_token()),
                subscribers::created_at.eq(now),
            ))
            .execute(&mut conn)
            .unwrap();
    }
}

fn subscriber_status(app: &TestApp, address: &str) -> String {
    let mut conn = app.app.pool.get().unwrap();
    subscribers::table
        .filter(subscribers::email_key.eq(address.to_lowercase()))
        .select(subscribers::status)
        .first(&mut conn)
        .unwrap()
}

/// (recipient, status, attempts, last error) of every message.
fn messages(app: &TestApp) -> Vec<(String, String, i32, Option<String>)> {
    let mut conn = app.app.pool.get().unwrap();
    outbox::table
        .order(outbox::id)
        .select((outbox::recipient, outbox::status, outbox::attempts, outbox::last_error))
        .load(&mut conn)
        .unwrap()
}

/// Wait out the longest backoff (an hour), on the app's clock.
fn make_everything_due(app: &TestApp) {
    app.advance(chrono::Duration::hours(1) + chrono::Duration::seconds(1));
}

/// A delivery worker on the test's database that talks to another relay.
fn worker_for(app: &TestApp, smtp_url: &str) -> Arc<Worker> {
    let mailer = civil::email::Mailer::new(Some(smtp_url), "Civil <civil@localhost>", &app.db.data_dir()).unwrap();
    Arc::new(Worker::new(app.app.clone(), Arc::new(mailer)))
}

async fn drain(worker: &Arc<Worker>) {
    let worker = worker.clone();
    tokio::task::spawn_blocking(move || worker.drain()).await.unwrap().expect("delivery");
}

fn assert_nothing_failed_or_bounced(app: &TestApp, addresses: &[&str], context: &str) {
    for address in addresses {
        assert_eq!(subscriber_status(app, address), "confirmed", "{context}: {address} was bounced");
    }
    for (to, status, attempts, error) in messages(app) {
        assert!(status == "queued" || status == "sent", "{context}: the message to {to} is {status}: {error:?}");
        if status == "queued" {
            assert_eq!(attempts, 0, "{context}: a relay fault used up an attempt of the message to {to}");
        }
    }
}

#[tokio::test]
async fn only_a_mailbox_refused_at_rcpt_bounces_its_subscriber() {
    let app = spawn().await;
    let admin = app.signed_in("chief", Role::Admin).await;
    subscribers(&app, &["ann@example.com", "gone@example.com", "cy@example.com"]);
    app.smtp.unknown_mailbox("gone@example.com");
    send_issue(&admin, "Mailboxes").await;
    app.deliver().await;
    assert_eq!(subscriber_status(&app, "gone@example.com"), "bounced");
    for address in ["ann@example.com", "cy@example.com"] {
        assert_eq!(subscriber_status(&app, address), "confirmed");
        assert_eq!(app.smtp.to(address).len(), 1, "{address} got the issue");
    }
    let gone: Vec<_> = messages(&app).into_iter().filter(|m| m.0 == "gone@example.com").collect();
    assert_eq!(gone[0].1, "failed");
    assert!(gone[0].3.as_deref().unwrap_or("").contains("5.1.1"), "{gone:?}");
}

#[tokio::test]
async fn a_wrong_relay_password_bounces_nobody_and_the_mail_waits_until_it_is_fixed() {
    let app = spawn_with(|s| s.mail_max_attempts = 1).await;
    let admin = app.signed_in("chief", Role::Admin).await;
    let readers = ["ann@example.com", "bo@example.com", "cy@example.com"];
    subscribers(&app, &readers);
    send_issue(&admin, "Credentials").await;

    let relay = AuthRefusingRelay::start();
    drain(&worker_for(&app, &relay.url())).await;
    assert!(*relay.attempts.lock().unwrap() >= 1, "the worker tried to sign in");
    assert_nothing_failed_or_bounced(&app, &readers, "wrong password");
    let errors: Vec<String> = messages(&app).into_iter().filter_map(|m| m.3).collect();
    assert!(
        errors.iter().any(|e| e.contains("535") && e.contains("CIVIL_SMTP_URL")),
        "the error says the relay refused the credentials and where they are set: {errors:?}"
    );

    // The operator fixes the password (here: the relay the app was started with).
    make_everything_due(&app);
    app.deliver().await;
    for address in readers {
        assert_eq!(app.smtp.to(address).len(), 1, "{address} got the issue once the relay was fixed");
    }
}

#[tokio::test]
async fn relay_and_policy_refusals_and_a_relay_that_is_down_bounce_nobody() {
    let app = spawn_with(|s| s.mail_max_attempts = 1).await;
    let admin = app.signed_in("chief", Role::Admin).await;
    let readers = ["ann@example.com", "bo@example.com"];
    subscribers(&app, &readers);
    for (mode, expected) in
        [(Mode::PolicyRefusal, "554"), (Mode::RelayingDenied, "Relaying denied"), (Mode::AuthRequired, "530")]
    {
        send_issue(&admin, &format!("Issue under {mode:?}")).await;
        app.smtp.set_mode(mode);
        // A fresh worker each time: one that met a failing relay waits before it tries again.
        drain(&worker_for(&app, &app.smtp.url())).await;
        assert_nothing_failed_or_bounced(&app, &readers, &format!("{mode:?}"));
        let errors: Vec<String> = messages(&app).into_iter().filter_map(|m| m.3).collect();
        assert!(errors.iter().any(|e| e.contains(expected)), "{mode:?}: {errors:?}");
    }
    // Nobody listens on the relay's port.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    make_everything_due(&app);
    drain(&worker_for(&app, &format!("smtp://127.0.0.1:{closed}"))).await;
    assert_nothing_failed_or_bounced(&app, &readers, "relay down");

    app.smtp.set_mode(Mode::Accept);
    make_everything_due(&app);
    app.deliver().await;
    for address in readers {
        assert_eq!(app.smtp.to(address).len(), 3, "{address} got all three issues once the relay took them");
    }
}

/// A connection of the test's own, outside the server's pool.
fn direct_connection(db: &TestDatabase) -> DbConnection {
    if db.is_postgres() {
        DbConnection::Pg(diesel::PgConnection::establish(&db.url).unwrap())
    } else {
        DbConnection::Sqlite(diesel::SqliteConnection::establish(&db.url).unwrap())
    }
}

fn count_status(conn: &mut DbConnection, status: &str) -> i64 {
    outbox::table.filter(outbox::status.eq(status)).count().get_result(conn).unwrap()
}

#[tokio::test]
async fn pages_keep_answering_while_a_slow_relay_holds_every_sender() {
    let pool_size = 4;
    let app = spawn_with(|s| {
        s.worker = true;
        s.db_pool_size = pool_size;
        s.mail_connections = 16;
        s.mail_rate = 1000;
    })
    .await;
    app.article("calm").await;
    let admin = app.signed_in("chief", Role::Admin).await;
    let readers: Vec<String> = (0..16).map(|i| format!("r{i}@example.com")).collect();
    subscribers(&app, &readers.iter().map(String::as_str).collect::<Vec<_>>());
    // Each conversation takes longer than a page may wait below.
    app.smtp.set_mode(Mode::Slow(Duration::from_secs(4)));
    send_issue(&admin, "Slowly").await;

    // Wait, outside the server's pool, until the worker has more messages in SMTP conversations
    // than the pool has connections.
    let mut conn = direct_connection(&app.db);
    let started = Instant::now();
    while count_status(&mut conn, "sending") < i64::from(pool_size) {
        assert!(started.elapsed() < Duration::from_secs(20), "the worker starts sending");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let reader = app.client();
    for _ in 0..3 {
        let asked = Instant::now();
        let page = reader.get("/articles/calm").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert!(
            asked.elapsed() < Duration::from_secs(2),
            "the page waited {:?} for a database connection held by the mail worker",
            asked.elapsed()
        );
    }
    app.smtp.set_mode(Mode::Accept);
    let started = Instant::now();
    while count_status(&mut conn, "queued") + count_status(&mut conn, "sending") > 0 {
        assert!(started.elapsed() < Duration::from_secs(60), "the worker sends everything");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for address in &readers {
        assert_eq!(app.smtp.to(address).len(), 1, "{address} got the issue");
    }
}

fn signal(child: &std::process::Child, name: &str) {
    // The shell's own `kill`, so that the test needs no procps.
    let status = std::process::Command::new("sh").arg("-c").arg(format!("kill -{name} {}", child.id())).status();
    assert!(status.unwrap().success(), "kill -{name}");
}

fn wait_for_exit(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("the process did not stop within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn civil(db: &TestDatabase, smtp: &SmtpSink, args: &[&str]) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_civil"));
    command
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("CIVIL_DATA_DIR", db.data_dir())
        .env("CIVIL_SMTP_URL", smtp.url())
        .env("CIVIL_LOG", "warn")
        .env("CIVIL_MAIL_RATE", "1000")
        .env("CIVIL_MAIL_CONNECTIONS", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    command
}

/// The id of the message a worker is sending, once it is sending one.
async fn message_being_sent(app: &TestApp) -> i64 {
    let started = Instant::now();
    loop {
        let sending: Vec<i64> = {
            let mut conn = app.app.pool.get().unwrap();
            outbox::table.filter(outbox::status.eq("sending")).select(outbox::id).load(&mut conn).unwrap()
        };
        if let Some(id) = sending.first() {
            return *id;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the worker starts sending");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn status_of(app: &TestApp, id: i64) -> String {
    let mut conn = app.app.pool.get().unwrap();
    outbox::table.find(id).select(outbox::status).first(&mut conn).unwrap()
}

#[tokio::test]
async fn sigterm_stops_a_sending_worker_cleanly() {
    let app = spawn().await;
    let admin = app.signed_in("chief", Role::Admin).await;
    let readers = ["ann@example.com", "bo@example.com", "cy@example.com"];
    subscribers(&app, &readers);
    app.smtp.set_mode(Mode::Slow(Duration::from_secs(2)));
    send_issue(&admin, "Stopping").await;

    let mut worker = civil(&app.db, &app.smtp, &["worker"]).spawn().unwrap();
    let in_flight = message_being_sent(&app).await;
    signal(&worker, "TERM");
    let status = wait_for_exit(&mut worker, Duration::from_secs(60));
    assert!(status.success(), "the worker exits cleanly: {status}");
    assert_eq!(status_of(&app, in_flight), "sent", "the message in flight was finished and recorded");
    let mut conn = direct_connection(&app.db);
    assert_eq!(count_status(&mut conn, "sending"), 0, "nothing is left sending");
    assert_eq!(count_status(&mut conn, "unknown"), 0);

    app.smtp.set_mode(Mode::Accept);
    app.deliver().await;
    for address in readers {
        assert_eq!(app.smtp.to(address).len(), 1, "{address} got the issue exactly once");
    }
}

#[tokio::test]
async fn sigterm_lets_requests_and_sends_in_flight_finish() {
    use std::io::{Read, Write};
    let app = spawn().await;
    let admin = app.signed_in("chief", Role::Admin).await;
    subscribers(&app, &["ann@example.com", "bo@example.com"]);
    app.smtp.set_mode(Mode::Slow(Duration::from_secs(2)));
    send_issue(&admin, "Serving").await;

    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut server =
        civil(&app.db, &app.smtp, &["serve"]).env("CIVIL_LISTEN", format!("127.0.0.1:{port}")).spawn().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let started = Instant::now();
    let form = loop {
        if let Ok(response) = http.get(format!("{base}/newsletter")).send().await {
            let cookies: Vec<String> = response
                .headers()
                .get_all("set-cookie")
                .iter()
                .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
                .collect();
            let page = crate::helpers::Page {
                status: response.status(),
                headers: response.headers().clone(),
                text: response.text().await.unwrap(),
            };
            break (cookies.join("; "), page.csrf());
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the server starts");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    drop(http);
    let in_flight = message_being_sent(&app).await;

    // A subscription whose body is still arriving when the signal comes.
    let (cookies, csrf) = form;
    let body = format!("csrf_token={csrf}&email=late%40example.com&next=%2F");
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "POST /newsletter HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookies}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        body.len(),
        &body[..10]
    )
    .unwrap();
    stream.flush().unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    signal(&server, "TERM");
    tokio::time::sleep(Duration::from_millis(300)).await;
    stream.write_all(&body.as_bytes()[10..]).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "the request in flight was answered: {answer}");
    assert!(answer.contains("Check your inbox"), "{answer}");

    let status = wait_for_exit(&mut server, Duration::from_secs(60));
    assert!(status.success(), "the server exits cleanly: {status}");
    assert_eq!(status_of(&app, in_flight), "sent", "the message in flight was finished and recorded");
    let mut conn = direct_connection(&app.db);
    assert_eq!(count_status(&mut conn, "sending"), 0, "nothing is left sending");

    app.smtp.set_mode(Mode::Accept);
    app.deliver().await;
    assert_eq!(app.smtp.to("late@example.com").len(), 1, "the late subscriber's confirmation went out");
}
