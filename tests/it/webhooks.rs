//! Signed webhooks, delivered to a real HTTP receiver on this machine that checks each
//! signature with the endpoint's secret on its own (HMAC-SHA256 over `TIMESTAMP.BODY`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use civil::domain::moderation::Premoderation;
use civil::domain::role::Role;
use civil::outbox::Step;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::*;

const SECRET: &str = "s3cret-for-the-newsroom";

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Delivery {
    headers: Vec<(String, String)>,
    body: String,
}

impl Delivery {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("the body is JSON")
    }

    fn event(&self) -> String {
        self.json()["event"].as_str().unwrap_or_default().to_owned()
    }

    /// Check `Civil-Signature: t=TIMESTAMP,v1=HEX` against `secret`; the timestamp.
    fn verify(&self, secret: &str) -> i64 {
        let header = self.header("Civil-Signature").expect("a Civil-Signature header");
        let (t, v1) = header.split_once(',').expect("t=...,v1=...");
        let t = t.strip_prefix("t=").expect("t= first");
        let v1 = v1.strip_prefix("v1=").expect("v1= second");
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.{}", self.body).as_bytes());
        let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(v1, expected, "the signature of {} checks out with the secret", self.body);
        t.parse().expect("a Unix timestamp")
    }
}

/// A plain HTTP/1.1 receiver on port 0 that records every request and answers with the status
/// it is set to.
struct Receiver {
    url: String,
    status: Arc<AtomicU16>,
    received: Arc<Mutex<Vec<Delivery>>>,
}

impl Receiver {
    fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}/hooks/civil", listener.local_addr().unwrap().port());
        let status = Arc::new(AtomicU16::new(200));
        let received = Arc::new(Mutex::new(Vec::new()));
        let (answer, log) = (status.clone(), received.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() || !line.starts_with("POST /hooks/civil ") {
                    continue;
                }
                let mut headers = Vec::new();
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    let (name, value) = line.split_once(':').unwrap();
                    headers.push((name.trim().to_owned(), value.trim().to_owned()));
                }
                let length: usize = headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                    .map_or(0, |(_, v)| v.parse().unwrap());
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                log.lock().unwrap().push(Delivery { headers, body: String::from_utf8(body).unwrap() });
                let code = answer.load(Ordering::SeqCst);
                let _ = write!(stream, "HTTP/1.1 {code} Whatever\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
            }
        });
        Receiver { url, status, received }
    }

    fn answer(&self, code: u16) {
        self.status.store(code, Ordering::SeqCst);
    }

    /// What arrived since the last call.
    fn take(&self) -> Vec<Delivery> {
        std::mem::take(&mut *self.received.lock().unwrap())
    }
}

/// Register an endpoint through the admin page; the page it answers with.
async fn add_endpoint(admin: &Client, url: &str, events: &[&str], secret: &str) -> Page {
    let mut fields = vec![("url", url), ("secret", secret)];
    fields.extend(events.iter().map(|e| ("events", *e)));
    admin.submit("/admin/webhooks", "/admin/webhooks", &fields).await
}

fn webhook_rows(app: &TestApp) -> Vec<(String, i32)> {
    use civil::store::schema::outbox;
    use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
    let mut conn = app.app.pool.get().unwrap();
    outbox::table
        .filter(outbox::kind.eq("webhook"))
        .order(outbox::id)
        .select((outbox::status, outbox::attempts))
        .load(&mut conn)
        .unwrap()
}

#[tokio::test]
async fn a_receiver_gets_signed_deliveries_of_the_events_it_chose() {
    let app = spawn().await;
    app.article("harbour").await;
    let admin = app.signed_in("chief", Role::Admin).await;
    let receiver = Receiver::start();
    let page = add_endpoint(
        &admin,
        &receiver.url,
        &["comment.published", "comment.held", "comment.approved", "reader.flagged"],
        SECRET,
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    page.assert_contains(&receiver.url);
    page.assert_contains("Nothing sent yet");

    let ada = app.reader("ada").await;
    app.deliver().await; // The verification e-mails.
    let id = ada.comment("harbour", "The harbour *reopens* at last.").await;
    assert_eq!(app.deliver().await, vec![Step::Sent]);
    let got = receiver.take();
    assert_eq!(got.len(), 1);
    let sent_at = got[0].verify(SECRET);
    assert!((sent_at - app.app.clock.now().and_utc().timestamp()).abs() < 60, "signed at delivery time");
    assert_eq!(got[0].header("Content-Type"), Some("application/json"));
    let body = got[0].json();
    assert_eq!(body["event"], "comment.published");
    assert!(body["created_at"].as_str().unwrap().ends_with('Z'), "{body}");
    let data = &body["data"];
    assert_eq!(data["comment_id"], id);
    assert_eq!(data["author"], "ada");
    assert_eq!(data["status"], "published");
    assert_eq!(data["article_slug"], "harbour");
    assert_eq!(data["article_title"], "Title of harbour");
    assert_eq!(data["article_url"], format!("{}/articles/harbour", app.app.settings.base_url));
    assert_eq!(data["comment_url"], format!("{}/comments/{id}", app.app.settings.base_url));
    assert!(data["body_html"].as_str().unwrap().contains("<em>reopens</em>"), "{data}");
    admin.get("/admin/webhooks").await.assert_contains("delivered (HTTP 200)");

    // Held, then approved: the held announcement shows no text; approval announces both.
    app.site_settings(|s| s.policy.premoderation = Premoderation::Everyone).await;
    let held = ada.comment("harbour", "A second thought, held for review.").await;
    app.deliver().await;
    let got = receiver.take();
    assert_eq!(got.iter().map(Delivery::event).collect::<Vec<_>>(), ["comment.held"]);
    got[0].verify(SECRET);
    assert_eq!(got[0].json()["data"]["status"], "pending");
    assert!(got[0].json()["data"].get("body_html").is_none(), "a held comment's text is not sent");

    let moderator = app.signed_in("mod1", Role::Moderator).await;
    let approved = moderator.api_post(&format!("/api/v1/moderation/comments/{held}/approve"), json!({})).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    app.deliver().await;
    let mut events: Vec<String> =
        receiver.take().iter().inspect(|d| _ = d.verify(SECRET)).map(Delivery::event).collect();
    events.sort();
    assert_eq!(events, ["comment.approved", "comment.published"]);

    // A flag is announced, without who flagged; a removal is not, as the endpoint did not choose it.
    let bob = app.reader("bob").await;
    let flagged = bob.api_post(&format!("/api/v1/comments/{id}/flags"), json!({"reason": "spam"})).await;
    assert_eq!(flagged.status, StatusCode::CREATED, "{}", flagged.body);
    app.deliver().await;
    let got = receiver.take();
    assert_eq!(got.len(), 1);
    let data = got[0].json()["data"].clone();
    assert_eq!(
        (got[0].event().as_str(), &data["flag_reason"], &data["hidden"]),
        ("reader.flagged", &json!("spam"), &json!(false))
    );
    assert!(!got[0].body.contains("\"bob\""), "the flagger is not named: {}", got[0].body);
    let removed =
        moderator.api_post(&format!("/api/v1/moderation/comments/{id}/remove"), json!({"reason": "spam"})).await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    assert!(app.deliver().await.is_empty());
    assert!(receiver.take().is_empty());

    // A second endpoint that hears only removals, with a generated secret shown once.
    let other = Receiver::start();
    let page = add_endpoint(&admin, &other.url, &["comment.removed"], "").await;
    page.assert_contains("shown only now");
    let secret = page.text.split(r#"<code class="secret">"#).nth(1).unwrap().split('<').next().unwrap().to_owned();
    assert!(secret.starts_with("whsec_") && secret.len() > 30, "{secret}");
    admin.get("/admin/webhooks").await.assert_lacks(&secret);
    let third = ada.comment("harbour", "Held as well, and then taken down.").await;
    moderator.api_post(&format!("/api/v1/moderation/comments/{third}/remove"), json!({"reason": "spam"})).await;
    app.deliver().await;
    assert_eq!(receiver.take().iter().map(Delivery::event).collect::<Vec<_>>(), ["comment.held"]);
    let got = other.take();
    assert_eq!(got.iter().map(Delivery::event).collect::<Vec<_>>(), ["comment.removed"]);
    got[0].verify(&secret);
    assert_eq!(got[0].json()["data"]["removal_reason"], "spam");
}

#[tokio::test]
async fn a_failing_receiver_is_retried_with_backoff_then_given_up_and_pauses_no_email() {
    let app = spawn().await;
    app.article("harbour").await;
    let admin = app.signed_in("chief", Role::Admin).await;
    let receiver = Receiver::start();
    receiver.answer(500);
    add_endpoint(&admin, &receiver.url, &["comment.published"], SECRET).await;
    let ada = app.reader("ada").await;
    app.deliver().await; // The verification e-mails.
    ada.comment("harbour", "The harbour reopens at last.").await;
    app.reader("dee").await; // Its verification e-mail is queued behind the announcement.

    assert_eq!(app.deliver().await, vec![Step::Retry, Step::Sent], "the failing webhook pauses no e-mail");
    assert_eq!(app.smtp.to("dee@example.com").len(), 1);
    assert_eq!(receiver.take().len(), 1);
    admin.get("/admin/webhooks").await.assert_contains("HTTP 500; will try again");
    assert!(app.deliver().await.is_empty(), "not again before its backoff");
    app.advance(chrono::TimeDelta::seconds(29));
    assert!(app.deliver().await.is_empty(), "the first backoff is 30 s");
    app.advance(chrono::TimeDelta::seconds(2));
    assert_eq!(app.deliver().await, vec![Step::Retry]);
    app.advance(chrono::TimeDelta::seconds(45));
    assert!(app.deliver().await.is_empty(), "the second backoff is a minute");
    app.advance(chrono::TimeDelta::seconds(20));
    receiver.answer(204);
    assert_eq!(app.deliver().await, vec![Step::Sent]);
    let got = receiver.take();
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|d| d.verify(SECRET) > 0), "each attempt is signed");
    assert_eq!(got[0].body, got[1].body, "a retry sends the same announcement");
    admin.get("/admin/webhooks").await.assert_contains("delivered (HTTP 204)");
    assert_eq!(webhook_rows(&app), vec![("sent".to_owned(), 3)]);

    // A receiver that never answers 2xx is given up on after ten attempts.
    receiver.answer(404);
    ada.comment("harbour", "Another thought about the harbour.").await;
    let mut steps = Vec::new();
    for _ in 0..12 {
        steps.extend(app.deliver().await);
        app.advance(chrono::TimeDelta::hours(1));
    }
    assert_eq!(steps.iter().filter(|s| **s == Step::Retry).count(), 9, "{steps:?}");
    assert_eq!(steps.last(), Some(&Step::Failed));
    assert_eq!(receiver.take().len(), 10);
    let mut admin = admin;
    admin.sign_in("chief", PASSWORD).await; // Twelve hours on, the session has lapsed.
    admin.get("/admin/webhooks").await.assert_contains("HTTP 404; gave up after 10 attempts");

    // While the e-mail relay is down, e-mail waits and webhooks still go out.
    receiver.answer(200);
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mailer = civil::email::Mailer::new(
        Some(&format!("smtp://127.0.0.1:{closed}")),
        "Civil <n@example.com>",
        &app.db.data_dir(),
    )
    .unwrap();
    let down = Arc::new(civil::outbox::Worker::new(app.app.clone(), Arc::new(mailer)));
    app.reader("cyd").await; // Its verification e-mail is queued ahead of the next announcement.
    ada.comment("harbour", "A third thought, while the relay is down.").await;
    let steps = tokio::task::spawn_blocking(move || down.drain()).await.unwrap().unwrap();
    assert_eq!(steps, vec![Step::Waiting, Step::Sent], "the relay fails, and the webhook still goes");
    assert_eq!(receiver.take().len(), 1);
}

#[tokio::test]
async fn a_change_that_rolls_back_announces_nothing() {
    let app = spawn().await;
    app.article("harbour").await;
    app.site_settings(|s| s.policy.premoderation = Premoderation::Everyone).await;
    let admin = app.signed_in("chief", Role::Admin).await;
    let receiver = Receiver::start();
    add_endpoint(&admin, &receiver.url, &["comment.approved", "comment.published", "comment.held"], SECRET).await;
    let ada = app.reader("ada").await;
    let held = ada.comment("harbour", "Held until a moderator looks.").await;
    app.deliver().await;
    assert_eq!(receiver.take().len(), 1, "comment.held");

    // A bulk approval approves (and announces) the first comment, then fails on the second,
    // which does not exist: the whole transaction, announcements included, rolls back.
    let moderator = app.signed_in("mod1", Role::Moderator).await;
    app.deliver().await; // The verification e-mails.
    let missing = (held + 1000).to_string();
    let held_id = held.to_string();
    let page = moderator
        .submit("/moderation", "/moderation/bulk", &[("action", "approve"), ("ids", &held_id), ("ids", &missing)])
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND, "{}", page.text);
    assert!(app.deliver().await.is_empty());
    assert!(receiver.take().is_empty(), "nothing is sent for a change that rolled back");
    assert_eq!(webhook_rows(&app).len(), 1, "only the held announcement was ever queued");
    app.client().get("/articles/harbour").await.assert_lacks("Held until a moderator looks.");

    // The same approval on its own commits, and is announced.
    let page = moderator.submit("/moderation", "/moderation/bulk", &[("action", "approve"), ("ids", &held_id)]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text);
    app.deliver().await;
    let mut events: Vec<String> = receiver.take().iter().map(Delivery::event).collect();
    events.sort();
    assert_eq!(events, ["comment.approved", "comment.published"]);
}

#[tokio::test]
async fn the_admin_page_refuses_bad_urls_and_events_and_removes_endpoints() {
    let app = spawn().await;
    let admin = app.signed_in("chief", Role::Admin).await;
    for (url, events, expected) in [
        ("ftp://hooks.example.com/x", vec!["comment.published"], "starts with https://"),
        ("not a url", vec!["comment.published"], "That is not a URL"),
        ("https://hooks.example.com/x", vec![], "Choose at least one event"),
        ("https://hooks.example.com/x", vec!["comment.deleted"], "There is no event \"comment.deleted\""),
    ] {
        let page = add_endpoint(&admin, url, &events, "").await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{url} {events:?}");
        page.assert_contains(&expected.replace('"', "&quot;"));
    }
    let short = add_endpoint(&admin, "https://hooks.example.com/x", &["comment.held"], "short").await;
    short.assert_contains("16 to 200 characters");
    assert!(admin.get("/admin/webhooks").await.text.contains("No endpoints yet."));

    let receiver = Receiver::start();
    add_endpoint(&admin, &receiver.url, &["comment.held"], SECRET).await;
    let changed = admin
        .submit(
            "/admin/webhooks",
            "/admin/webhooks/1/events",
            &[("events", "comment.published"), ("events", "reader.flagged")],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);
    app.article("harbour").await;
    let ada = app.reader("ada").await;
    app.deliver().await; // The verification e-mails.
    ada.comment("harbour", "Published, which the endpoint now hears.").await;
    let removed = admin.submit("/admin/webhooks", "/admin/webhooks/1/delete", &[]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert!(app.deliver().await.is_empty(), "the removed endpoint's waiting delivery went with it");
    assert!(receiver.take().is_empty());
    assert!(webhook_rows(&app).is_empty());
    admin.get("/admin/webhooks").await.assert_contains("No endpoints yet.");
    let again = admin.submit("/admin/webhooks", "/admin/webhooks/1/delete", &[]).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_cli_adds_lists_and_removes_webhooks() {
    let db = Arc::new(TestDatabase::new());
    crate::cli::ok(&crate::cli::civil(&db, &["migrate"], ""));
    let added = crate::cli::ok(&crate::cli::civil(
        &db,
        &["webhook", "add", "https://hooks.example.com/civil", "--events", "comment.published,comment.held"],
        "",
    ));
    assert!(
        added.contains("Webhook 1 added: https://hooks.example.com/civil for comment.published, comment.held."),
        "{added}"
    );
    let secret = added.split("shown only now): ").nth(1).unwrap().trim();
    assert!(secret.starts_with("whsec_"), "{added}");
    let given = crate::cli::ok(&crate::cli::civil(
        &db,
        &["webhook", "add", "http://127.0.0.1:9/x", "--events", "reader.flagged", "--secret", SECRET],
        "",
    ));
    assert!(!given.contains(SECRET) && !given.contains("secret"), "a given secret is not echoed: {given}");

    for (args, expected) in [
        (vec!["webhook", "add", "ftp://hooks.example.com/x", "--events", "comment.held"], "starts with https://"),
        (vec!["webhook", "add", "https://hooks.example.com/x", "--events", "comment.edited"], "There is no event"),
        (
            vec!["webhook", "add", "https://hooks.example.com/x", "--events", "comment.held", "--secret", "tiny"],
            "16 to 200",
        ),
        (vec!["webhook", "remove", "7"], "That webhook was not found."),
    ] {
        let failed = crate::cli::civil(&db, &args, "");
        assert!(!failed.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&failed.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }

    let listed = crate::cli::ok(&crate::cli::civil(&db, &["webhook", "list"], ""));
    assert!(
        listed.contains("https://hooks.example.com/civil  comment.published,comment.held  nothing sent yet"),
        "{listed}"
    );
    assert!(listed.contains("http://127.0.0.1:9/x  reader.flagged"), "{listed}");
    assert!(!listed.contains(secret) && !listed.contains(SECRET), "list shows no secret: {listed}");
    crate::cli::ok(&crate::cli::civil(&db, &["webhook", "remove", "1"], ""));
    let listed = crate::cli::ok(&crate::cli::civil(&db, &["webhook", "list"], ""));
    assert!(!listed.contains("hooks.example.com") && listed.contains("127.0.0.1:9"), "{listed}");
}
