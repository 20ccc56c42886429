//! The newsletter and account e-mails, through a real SMTP receiver.

use std::time::{Duration, Instant};

use civil::domain::role::Role;
use civil::outbox::Step;
use diesel::prelude::*;
use reqwest::StatusCode;

use crate::helpers::*;
use crate::smtp::Mode;

fn path_of(link: &str) -> String {
    let after_scheme = link.split_once("://").map_or(link, |(_, rest)| rest);
    after_scheme.find('/').map_or("/".to_owned(), |i| after_scheme[i..].to_owned())
}

async fn subscribe(client: &Client, email: &str) -> Page {
    client.submit("/newsletter", "/newsletter", &[("email", email), ("next", "/")]).await
}

/// Subscribe and confirm an address through its e-mail.
async fn confirmed_subscriber(app: &TestApp, email: &str) {
    let client = app.client();
    assert_eq!(subscribe(&client, email).await.status, StatusCode::OK);
    app.deliver().await;
    let link = app.smtp.to(email).last().and_then(|m| m.link("/newsletter/confirm/")).expect("a confirmation link");
    let page = client.get(&path_of(&link)).await;
    let done = client.post_form(&path_of(&link), &[("csrf_token", &page.csrf())]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
}

fn subscriber_status(app: &TestApp, email: &str) -> String {
    use civil::store::schema::subscribers;
    let mut conn = app.app.pool.get().unwrap();
    subscribers::table
        .filter(subscribers::email_key.eq(email.to_lowercase()))
        .select(subscribers::status)
        .first(&mut conn)
        .unwrap()
}

#[tokio::test]
async fn subscribe_confirm_receive_and_unsubscribe_with_one_click() {
    let app = spawn().await;
    app.article("budget").await;
    let reader = app.client();
    let article = reader.get("/articles/budget").await;
    article.assert_contains("Join the Conversation");
    article.assert_contains("Subscribe Now");
    let answer = reader
        .post_form(
            "/newsletter",
            &[("csrf_token", &article.csrf()), ("email", "Reader@Example.com"), ("next", "/articles/budget")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    answer.assert_contains("Check your inbox");
    assert_eq!(subscriber_status(&app, "reader@example.com"), "pending");

    assert_eq!(app.deliver().await, vec![Step::Sent]);
    let confirmation = app.smtp.to("reader@example.com").pop().unwrap();
    let link = confirmation.link("/newsletter/confirm/").expect("confirmation link");
    // A link scanner's GET changes nothing.
    let scanned = app.client().get(&path_of(&link)).await;
    assert_eq!(scanned.status, StatusCode::OK);
    scanned.assert_contains("Confirm");
    assert_eq!(subscriber_status(&app, "reader@example.com"), "pending");
    let page = reader.get(&path_of(&link)).await;
    let done = reader.post_form(&path_of(&link), &[("csrf_token", &page.csrf())]).await;
    assert_eq!(done.status, StatusCode::OK);
    assert_eq!(subscriber_status(&app, "reader@example.com"), "confirmed");

    let admin = app.signed_in("chief", Role::Admin).await;
    app.deliver().await;
    send_issue(&admin, "The week in Civil").await;
    app.deliver().await;
    let issue = app
        .smtp
        .to("reader@example.com")
        .into_iter()
        .find(|m| m.data.contains("The week in Civil"))
        .expect("the issue arrived");
    assert!(issue.data.contains("multipart/alternative"), "{}", issue.data);
    assert!(issue.data.contains("text/plain") && issue.data.contains("text/html"));
    let unsubscribe = issue.header("List-Unsubscribe").expect("List-Unsubscribe");
    assert_eq!(issue.header("List-Unsubscribe-Post").as_deref(), Some("List-Unsubscribe=One-Click"));
    let url = unsubscribe.trim_matches(['<', '>']).to_owned();
    assert!(url.contains("/newsletter/unsubscribe/"));

    // RFC 8058: the mail client POSTs, with no cookie and no CSRF token.
    let one_click = reqwest::Client::new()
        .post(format!("{}{}", app.address, path_of(&url)))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(one_click.status(), StatusCode::OK);
    assert_eq!(subscriber_status(&app, "reader@example.com"), "unsubscribed");
    let before = app.smtp.to("reader@example.com").len();
    send_issue(&admin, "The next week").await;
    app.deliver().await;
    assert_eq!(app.smtp.to("reader@example.com").len(), before, "no issue after unsubscribing");

    // A GET of the link shows a page with one button; resubscribing needs double opt-in again.
    app.client().get(&path_of(&url)).await.assert_contains("nsubscribe");
    subscribe(&app.client(), "reader@example.com").await;
    assert_eq!(subscriber_status(&app, "reader@example.com"), "pending");
    let confirmations =
        app.smtp.to("reader@example.com").iter().filter(|m| m.link("/newsletter/confirm/").is_some()).count();
    app.deliver().await;
    let after = app.smtp.to("reader@example.com").iter().filter(|m| m.link("/newsletter/confirm/").is_some()).count();
    assert_eq!(after, confirmations + 1, "a new confirmation for the new opt-in");
}

#[tokio::test]
async fn subscribing_reveals_nothing_about_who_subscribes() {
    let app = spawn().await;
    confirmed_subscriber(&app, "known@example.com").await;
    let client = app.client();
    let token = client.get("/newsletter").await.csrf();
    let mut pages = Vec::new();
    for i in 0..7 {
        let known = client.post_form("/newsletter", &[("csrf_token", &token), ("email", "known@example.com")]).await;
        let unknown = client
            .post_form("/newsletter", &[("csrf_token", &token), ("email", &format!("stranger{i}@example.com"))])
            .await;
        pages.push((known, unknown));
    }
    for (known, unknown) in &pages {
        assert_eq!(known.status, unknown.status);
        assert_eq!(known.text, unknown.text, "identical pages");
    }
    // Nor does the time to answer tell them apart: neither answer waits on mail, both only queue
    // it (or not) in the request's one transaction. Timing the answers here measured only how busy
    // the machine was, and failed on a loaded one.
    app.deliver().await;
    for i in 0..7 {
        assert_eq!(app.smtp.to(&format!("stranger{i}@example.com")).len(), 1, "one confirmation each");
    }
    assert_eq!(app.smtp.to("known@example.com").len(), 1, "the subscriber hears nothing more within ten minutes");
}

#[tokio::test]
async fn confirmation_is_resent_at_most_every_ten_minutes() {
    let app = spawn().await;
    let client = app.client();
    subscribe(&client, "twice@example.com").await;
    subscribe(&client, "twice@example.com").await;
    app.deliver().await;
    assert_eq!(app.smtp.to("twice@example.com").len(), 1);
}

#[tokio::test]
async fn expired_reused_and_forged_links_get_a_clear_page_and_change_nothing() {
    let app = spawn().await;
    let client = app.client();
    subscribe(&client, "links@example.com").await;
    app.deliver().await;
    let link = path_of(&app.smtp.to("links@example.com")[0].link("/newsletter/confirm/").unwrap());

    let forged = client.get("/newsletter/confirm/not-a-real-token").await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND);
    forged.assert_contains("not valid");
    let token = client.get("/newsletter").await.csrf();
    assert_eq!(
        client.post_form("/newsletter/confirm/forged", &[("csrf_token", &token)]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(client.post_form("/newsletter/unsubscribe/forged", &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(subscriber_status(&app, "links@example.com"), "pending");

    // A confirmation link is good for 48 hours.
    app.advance(chrono::Duration::hours(49));
    let expired = client.get(&link).await;
    assert_eq!(expired.status, StatusCode::GONE);
    expired.assert_contains("expired");
    assert_eq!(client.post_form(&link, &[("csrf_token", &token)]).await.status, StatusCode::GONE);
    assert_eq!(subscriber_status(&app, "links@example.com"), "pending");

    // A fresh link works once; the second use is refused.
    confirmed_subscriber(&app, "reuse@example.com").await;
    let reused = path_of(&app.smtp.to("reuse@example.com")[0].link("/newsletter/confirm/").unwrap());
    let again = client.post_form(&reused, &[("csrf_token", &token)]).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_refusing_server_gets_retries_with_backoff_then_the_message_fails() {
    let app = spawn_with(|s| s.mail_max_attempts = 2).await;
    subscribe(&app.client(), "retry@example.com").await;
    app.smtp.set_mode(Mode::RefuseTransient);
    assert_eq!(app.deliver().await, vec![Step::Retry]);
    let row = {
        let mut conn = app.app.pool.get().unwrap();
        civil::store::outbox::for_recipient(&mut conn, "retry@example.com").unwrap().remove(0)
    };
    assert_eq!(row.status, "queued");
    assert_eq!(row.attempts, 1);
    assert!(row.last_error.as_deref().unwrap_or("").contains("451"), "{:?}", row.last_error);
    assert!(row.next_attempt_at > app.app.clock.now() + chrono::Duration::seconds(20), "backs off");
    assert!(app.deliver().await.is_empty(), "not due yet");
    // The first retry waits 30 seconds.
    app.advance(chrono::Duration::seconds(31));
    assert_eq!(app.deliver().await, vec![Step::Failed], "the second attempt is the last");
    let row =
        civil::store::outbox::for_recipient(&mut app.app.pool.get().unwrap(), "retry@example.com").unwrap().remove(0);
    assert_eq!(row.status, "failed");
    assert!(row.last_error.unwrap().contains("gave up after 2 attempts"));

    // A permanent refusal fails at once and marks the subscriber bounced.
    subscribe(&app.client(), "gone@example.com").await;
    app.smtp.set_mode(Mode::RefusePermanent);
    assert_eq!(app.deliver().await, vec![Step::Failed]);
    assert_eq!(subscriber_status(&app, "gone@example.com"), "bounced");
    app.smtp.set_mode(Mode::Accept);
}

#[tokio::test]
async fn two_workers_never_send_one_message_twice() {
    let app = spawn().await;
    {
        use civil::store::schema::subscribers;
        let mut conn = app.app.pool.get().unwrap();
        for i in 0..40 {
            let now = app.app.clock.now();
            diesel::insert_into(subscribers::table)
                .values((
                    subscribers::email.eq(format!("r{i}@example.com")),
                    subscribers::email_key.eq(format!("r{i}@example.com")),
                    subscribers::status.eq("confirmed"),
                    subscribers::unsubscribe_token.eq(format!("token-{i}-{}", civil::services::tokens::random_token())),
                    subscribers::created_at.eq(now),
                ))
                .execute(&mut conn)
                .unwrap();
        }
    }
    let admin = app.signed_in("chief", Role::Admin).await;
    app.deliver().await;
    send_issue(&admin, "Raced").await;
    let second = std::sync::Arc::new(civil::outbox::Worker::new(
        app.app.clone(),
        std::sync::Arc::new(
            civil::email::Mailer::new(Some(&app.smtp.url()), "Civil <c@example.com>", &app.db.data_dir()).unwrap(),
        ),
    ));
    let first = app.worker.clone();
    let a = tokio::task::spawn_blocking(move || first.drain().unwrap());
    let b = tokio::task::spawn_blocking(move || second.drain().unwrap());
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    assert_eq!(a.len() + b.len(), 40);
    let issues: Vec<_> = app.smtp.messages().into_iter().filter(|m| m.data.contains("Raced")).collect();
    assert_eq!(issues.len(), 40);
    let mut recipients: Vec<String> = issues.iter().flat_map(|m| m.to.clone()).collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), 40, "each subscriber exactly once");
}

#[tokio::test]
async fn account_emails_verify_the_address_and_reset_the_password() {
    let app = spawn().await;
    let mut client = app.client();
    client.fetch_csrf().await;
    let created = client
        .api_post(
            "/api/v1/accounts",
            serde_json::json!({"username": "ada", "email": "ada@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    app.deliver().await;
    let verify = path_of(&app.smtp.to("ada@example.com")[0].link("/account/verify/").expect("verification link"));
    let page = client.get(&verify).await;
    assert_eq!(page.status, StatusCode::OK);
    let done = client.post_form(&verify, &[("csrf_token", &page.csrf())]).await;
    assert_eq!(done.status, StatusCode::OK);
    let again = client.post_form(&verify, &[("csrf_token", &page.csrf())]).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "single use: {}", again.text);
    // Verified readers subscribe with one click.
    let profile = client.get("/users/ada").await;
    let subscribed = client.post_form("/newsletter/me", &[("csrf_token", &profile.csrf())]).await;
    assert_eq!(subscribed.status, StatusCode::SEE_OTHER);
    assert_eq!(subscriber_status(&app, "ada@example.com"), "confirmed");

    // Password reset: the same answer for known and unknown addresses.
    let other_session = {
        let mut c = app.client();
        c.sign_in("ada", PASSWORD).await;
        c
    };
    let anon = app.client();
    let known = anon.submit("/password/forgot", "/password/forgot", &[("email", "ada@example.com")]).await;
    let unknown = anon.submit("/password/forgot", "/password/forgot", &[("email", "nobody@example.com")]).await;
    assert_eq!(known.status, StatusCode::OK);
    assert_eq!(known.text, unknown.text);
    app.deliver().await;
    assert!(app.smtp.to("nobody@example.com").is_empty());
    let reset = path_of(&app.smtp.to("ada@example.com").last().unwrap().link("/password/reset/").expect("reset link"));
    let form = anon.get(&reset).await;
    let weak = anon.post_form(&reset, &[("csrf_token", &form.csrf()), ("password", "short")]).await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    let changed = anon.post_form(&reset, &[("csrf_token", &form.csrf()), ("password", "a brand new passphrase")]).await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.text);
    assert!(other_session.api_get("/api/v1/session").await.body["user"].is_null(), "a reset ends other sessions");
    assert_eq!(anon.api_get("/api/v1/session").await.body["user"]["username"], "ada", "and signs this browser in");
    let token = anon.get("/").await.csrf();
    assert_eq!(
        anon.post_form(&reset, &[("csrf_token", &token), ("password", "another new passphrase")]).await.status,
        StatusCode::NOT_FOUND,
        "single use"
    );
    let mut fresh = app.client();
    fresh.sign_in("ada", "a brand new passphrase").await;
}

async fn verified_reader(app: &TestApp, name: &str) -> Client {
    let client = app.reader(name).await;
    let mut conn = app.app.pool.get().unwrap();
    use civil::store::schema::users;
    diesel::update(users::table.filter(users::username.eq(name)))
        .set(users::email_verified_at.eq(Some(app.app.clock.now())))
        .execute(&mut conn)
        .unwrap();
    client
}

#[tokio::test]
async fn reply_notifications_go_out_only_for_published_replies() {
    let app = spawn().await;
    app.article("budget").await;
    app.site_settings(|s| {
        s.policy.new_commenter_comments = 0;
        s.policy.new_commenter_days = 0;
    })
    .await;
    let ada = verified_reader(&app, "ada").await;
    let profile = ada.get("/users/ada").await;
    let on = ada.post_form("/account/notifications", &[("csrf_token", &profile.csrf()), ("on", "1")]).await;
    assert_eq!(on.status, StatusCode::SEE_OTHER);
    let parent = ada.comment("budget", "What does everyone think?").await;
    ada.reply("budget", parent, "Replying to myself.").await;
    app.deliver().await;
    let before = app.smtp.to("ada@example.com").len();

    let bob = app.reader("bob").await;
    bob.reply("budget", parent, "I think it is fine.").await;
    app.deliver().await;
    let notes = app.smtp.to("ada@example.com");
    assert_eq!(notes.len(), before + 1, "one note for bob's reply, none for her own");
    let note = notes.last().unwrap();
    assert!(note.data.contains("replied"));
    assert!(note.header("List-Unsubscribe").is_some());

    // A held reply sends nothing until it is approved.
    let moderator = app.signed_in("mod1", Role::Moderator).await;
    let bob_id = civil::services::accounts::find_by_username(&app.app, "bob").await.unwrap().id;
    moderator.api_post(&format!("/api/v1/moderation/users/{bob_id}/review"), serde_json::json!({})).await;
    let held = bob.try_comment("budget", "A second thought from bob.", Some(parent)).await;
    assert_eq!(held.body["status"], "pending");
    app.deliver().await;
    assert_eq!(app.smtp.to("ada@example.com").len(), before + 1, "nothing for a held reply");
    let id = held.body["id"].as_i64().unwrap();
    moderator.api_post(&format!("/api/v1/moderation/comments/{id}/approve"), serde_json::json!({})).await;
    app.deliver().await;
    assert_eq!(app.smtp.to("ada@example.com").len(), before + 1, "nothing while the approval can be undone");
    app.advance(chrono::TimeDelta::seconds(civil::services::moderation::UNDO_SECONDS));
    app.deliver().await;
    assert_eq!(app.smtp.to("ada@example.com").len(), before + 2, "sent once approved");

    // One click in the e-mail turns them off.
    let stop = path_of(note.header("List-Unsubscribe").unwrap().trim_matches(['<', '>']));
    assert_eq!(
        reqwest::Client::new()
            .post(format!("{}{stop}", app.address))
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    bob.reply("budget", parent, "A third reply.").await;
    app.deliver().await;
    assert_eq!(app.smtp.to("ada@example.com").len(), before + 2);
}

#[tokio::test]
async fn admins_see_counts_export_csv_preview_and_follow_progress() {
    let app = spawn().await;
    confirmed_subscriber(&app, "one@example.com").await;
    subscribe(&app.client(), "two@example.com").await;
    let admin = app.signed_in("chief", Role::Admin).await;
    let dashboard = admin.get("/admin/newsletter").await;
    assert_eq!(dashboard.status, StatusCode::OK);
    dashboard.assert_contains("one@example.com");
    let csv = admin.get("/admin/newsletter/subscribers.csv?status=confirmed").await;
    assert_eq!(csv.headers.get("content-type").unwrap(), "text/csv; charset=utf-8");
    assert!(csv.text.starts_with("email,status"));
    assert!(csv.text.contains("one@example.com,confirmed") && !csv.text.contains("two@example.com"));
    assert_eq!(app.reader("ada").await.get("/admin/newsletter").await.status, StatusCode::FORBIDDEN);

    let created = admin
        .submit(
            "/admin/newsletter/issues/new",
            "/admin/newsletter/issues",
            &[("subject", "Preview me"), ("body", "Hello *readers*.")],
        )
        .await;
    let issue_path = created.location().to_owned();
    let page = admin.get(&issue_path).await;
    page.assert_contains("<em>readers</em>");
    let test = admin.submit(&issue_path, &format!("{issue_path}/test"), &[]).await;
    assert_eq!(test.status, StatusCode::SEE_OTHER);
    app.deliver().await;
    assert!(app.smtp.to("chief@example.com").iter().any(|m| m.data.contains("[Test] Preview me")));
    admin.submit(&issue_path, &format!("{issue_path}/send"), &[]).await;
    let progress = admin.api_get(&format!("{issue_path}/progress.json")).await;
    assert_eq!(progress.body["recipients"], 1);
    assert_eq!(progress.body["queued"], 1);
    app.deliver().await;
    app.worker.beat().unwrap();
    let progress = admin.api_get(&format!("{issue_path}/progress.json")).await;
    assert_eq!(progress.body["sent"], 1);
    assert_eq!(progress.body["status"], "sent");
    let twice = admin.submit(&issue_path, &format!("{issue_path}/send"), &[]).await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "an issue goes out once");
}

#[tokio::test]
async fn a_worker_killed_mid_send_resumes_without_duplicates_or_loss() {
    let app = spawn().await;
    let total = 30;
    {
        use civil::store::schema::subscribers;
        let mut conn = app.app.pool.get().unwrap();
        for i in 0..total {
            let now = app.app.clock.now();
            diesel::insert_into(subscribers::table)
                .values((
                    subscribers::email.eq(format!("k{i}@example.com")),
                    subscribers::email_key.eq(format!("k{i}@example.com")),
                    subscribers::status.eq("confirmed"),
                    subscribers::unsubscribe_token.eq(civil::services::tokens::random_token()),
                    subscribers::created_at.eq(now),
                ))
                .execute(&mut conn)
                .unwrap();
        }
    }
    let admin = app.signed_in("chief", Role::Admin).await;
    app.deliver().await;
    app.smtp.set_mode(Mode::Slow(Duration::from_millis(150)));
    send_issue(&admin, "Killed").await;
    let worker = |db: &TestDatabase, smtp: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_civil"))
            .arg("worker")
            .env("DATABASE_URL", &db.url)
            .env("CIVIL_DATA_DIR", db.data_dir())
            .env("CIVIL_SMTP_URL", smtp)
            .env("CIVIL_LOG", "warn")
            .env("CIVIL_MAIL_RATE", "1000")
            .env("CIVIL_MAIL_CONNECTIONS", "2")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let received = |app: &TestApp| app.smtp.messages().into_iter().filter(|m| m.data.contains("Killed")).count();
    let mut first = worker(&app.db, &app.smtp.url());
    let started = Instant::now();
    while received(&app) < 5 {
        assert!(started.elapsed() < Duration::from_secs(30), "the worker sends");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(60)).await;
    first.kill().unwrap();
    first.wait().unwrap();
    let at_kill = received(&app);
    assert!(at_kill < total, "killed before the end");

    app.smtp.set_mode(Mode::Accept);
    let mut second = worker(&app.db, &app.smtp.url());
    let done = || {
        use civil::store::schema::outbox;
        let mut conn = app.app.pool.get().unwrap();
        outbox::table.filter(outbox::status.eq_any(["queued", "sending"])).count().get_result::<i64>(&mut conn).unwrap()
    };
    let started = Instant::now();
    while done() > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the second worker finishes, marking the abandoned message unknown"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    second.kill().unwrap();
    second.wait().unwrap();

    let statuses: Vec<(String, String)> = {
        use civil::store::schema::outbox;
        let mut conn = app.app.pool.get().unwrap();
        outbox::table
            .filter(outbox::purpose.eq("newsletter"))
            .select((outbox::recipient, outbox::status))
            .load(&mut conn)
            .unwrap()
    };
    assert_eq!(statuses.len(), total);
    let unknown: Vec<&String> = statuses.iter().filter(|(_, s)| s == "unknown").map(|(r, _)| r).collect();
    assert!(unknown.len() <= 2, "only the messages in the worker's 2 SMTP conversations are in doubt: {unknown:?}");
    for (recipient, status) in &statuses {
        let copies = app.smtp.to(recipient).iter().filter(|m| m.data.contains("Killed")).count();
        if status == "unknown" {
            assert!(copies <= 1, "{recipient}: at most once");
        } else {
            assert_eq!(status, "sent");
            assert_eq!(copies, 1, "{recipient}: exactly once");
        }
    }
}

#[tokio::test]
async fn the_weekly_digest_goes_out_once_on_schedule() {
    use chrono::Datelike;
    let app = spawn().await;
    app.article("budget").await;
    confirmed_subscriber(&app, "digest@example.com").await;
    // The digest goes out on Wednesdays at 08:00; it is now the next Wednesday, 09:00.
    let schedule = civil::services::newsletter::DigestSchedule { weekday: chrono::Weekday::Wed, hour: 8, minute: 0 };
    let now = app.app.clock.now();
    let days_to_wednesday = (7 + 2 - i64::from(now.weekday().num_days_from_monday())) % 7;
    let wednesday = (now.date() + chrono::Duration::days(days_to_wednesday)).and_hms_opt(9, 0, 0).unwrap();
    app.app.clock.set(if wednesday > now { wednesday } else { wednesday + chrono::Duration::days(7) });
    let send = || civil::services::newsletter::send_scheduled_digest(&app.app, schedule);
    let first = send().await.unwrap();
    assert!(first.is_some(), "due since 08:00");
    assert_eq!(send().await.unwrap(), None, "once a week");
    app.advance(chrono::Duration::days(2));
    assert_eq!(send().await.unwrap(), None, "nor again later that week");
    app.deliver().await;
    let digest = app
        .smtp
        .to("digest@example.com")
        .into_iter()
        .find(|m| m.data.contains("the week in review"))
        .expect("the digest arrived");
    assert!(digest.data.contains("Title of budget"));
    // A week after the first, the next one.
    app.advance(chrono::Duration::days(5));
    let second = send().await.unwrap();
    assert!(second.is_some() && second != first, "due again a week later");
    app.deliver().await;
    let digests = app.smtp.to("digest@example.com").into_iter().filter(|m| m.data.contains("the week in review"));
    assert_eq!(digests.count(), 2);
}
