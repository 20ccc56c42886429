//! Accounts, sign-in, sessions and rate limits under attack: concurrency against the limits,
//! redirects out of the site, lock-outs, account enumeration and session lifetimes.

use civil::config::Settings;
use civil::domain::role::Role;
use diesel::sql_types::{BigInt, Text, Timestamp};
use diesel::RunQueryDsl;
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

async fn spawn_limited(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_with(|s| {
        s.rate_limits = true;
        adjust(s);
    })
    .await
}

fn count(app: &TestApp, sql: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let mut conn = app.app.pool.get().unwrap();
    diesel::sql_query(sql).get_result::<Count>(&mut conn).unwrap().n
}

fn execute(app: &TestApp, sql: &str, at: chrono::NaiveDateTime, username: &str) {
    let mut conn = app.app.pool.get().unwrap();
    diesel::sql_query(sql).bind::<Timestamp, _>(at).bind::<Text, _>(username).execute(&mut conn).unwrap();
}

/// A client whose requests seem to come from `ip` (the app trusts 127.0.0.1 as its proxy).
fn from_ip(client: &Client, ip: &str, path: &str) -> reqwest::RequestBuilder {
    let mut request = client.http.post(client.url(path)).header("X-Forwarded-For", ip);
    if let Some(token) = &client.csrf {
        request = request.header("X-CSRF-Token", token);
    }
    request
}

#[tokio::test]
async fn a_hundred_concurrent_wrong_passwords_get_at_most_the_limit_of_tries() {
    let app = spawn_limited(|_| {}).await;
    app.create_user("ada", Role::Reader).await;
    let mut client = app.client();
    client.fetch_csrf().await;
    let attempts = (0..100).map(|i| {
        let client = &client;
        async move {
            client.api_post("/api/v1/session", json!({"login": "ada", "password": format!("wrong guess {i}")})).await
        }
    });
    let answers = join_all(attempts).await;
    let tried = answers.iter().filter(|a| a.status == StatusCode::UNAUTHORIZED).count();
    let refused = answers.iter().filter(|a| a.status == StatusCode::TOO_MANY_REQUESTS).count();
    eprintln!("100 concurrent wrong passwords: {tried} checked (401), {refused} refused (429)");
    assert_eq!(tried + refused, 100, "{:?}", answers.iter().map(|a| a.status).collect::<Vec<_>>());
    assert!((1..=6).contains(&tried), "at most 6 passwords a minute were checked, not {tried}");
    assert!(answers
        .iter()
        .filter(|a| a.status == StatusCode::TOO_MANY_REQUESTS)
        .all(|a| a.headers.contains_key("retry-after")));
}

#[tokio::test]
async fn twenty_concurrent_registrations_from_one_address_make_at_most_five_accounts() {
    let app = spawn_limited(|_| {}).await;
    let mut client = app.client();
    client.fetch_csrf().await;
    let attempts = (0..20).map(|i| {
        let client = &client;
        async move {
            client
                .api_post(
                    "/api/v1/accounts",
                    json!({"username": format!("sock{i}"), "email": format!("sock{i}@example.com"), "password": PASSWORD}),
                )
                .await
                .status
        }
    });
    let answers = join_all(attempts).await;
    let created = answers.iter().filter(|s| **s == StatusCode::CREATED).count();
    eprintln!("20 concurrent registrations from one address: {created} accounts");
    assert!((1..=5).contains(&created), "{answers:?}");
    assert_eq!(answers.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count(), 20 - created);
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM users") as usize, created);
}

#[tokio::test]
async fn next_never_leads_off_the_site_nor_breaks_sign_in() {
    let app = spawn().await;
    app.create_user("ada", Role::Reader).await;
    let mut browsers = 0;
    for next in [
        "/%09/evil.example",
        "%0d%0aSet-Cookie:%20x=1",
        "/a%0aLocation:%20//evil.example",
        "/%5Cevil.example",
        "https://evil.example",
        "//evil.example",
        "/%20/evil.example",
        "/caf%C3%A9",
    ] {
        let client = app.client();
        let form = client.get(&format!("/signin?next={next}")).await;
        if form.status == StatusCode::BAD_REQUEST {
            // Control characters are refused at the edge, for the sign-in too, before any
            // session is made.
            let token = client.get("/signin").await.csrf();
            let refused = client
                .post_form(
                    &format!("/signin?next={next}"),
                    &[("csrf_token", &token), ("login", "ada"), ("password", PASSWORD)],
                )
                .await;
            assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{next}");
            continue;
        }
        assert_eq!(form.status, StatusCode::OK, "{next}");
        let signed_in = client
            .post_form(
                &format!("/signin?next={next}"),
                &[("csrf_token", &form.csrf()), ("login", "ada"), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(signed_in.status, StatusCode::SEE_OTHER, "{next}: {}", signed_in.text);
        assert_eq!(signed_in.location(), "/", "{next}");
        assert!(signed_in.headers.get("set-cookie").is_some(), "{next}: the session cookie is set");
        // Signed in, the form redirects at once, and just as safely.
        let again = client.get(&format!("/signin?next={next}")).await;
        assert_eq!((again.status, again.location()), (StatusCode::SEE_OTHER, "/"), "{next}");
        let register = client.get(&format!("/register?next={next}")).await;
        assert_eq!((register.status, register.location()), (StatusCode::SEE_OTHER, "/"), "{next}");
        browsers += 1;
    }
    assert!(browsers >= 5, "the inputs without control characters reached the forms");
    // Every session the form made belongs to a browser that holds its cookie: no orphans.
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM sessions"), browsers);
    let client = app.client();
    let form = client.get("/signin?next=/articles/budget%3Fsort%3Dnew%23comments").await;
    let fine = client
        .post_form(
            "/signin?next=/articles/budget%3Fsort%3Dnew%23comments",
            &[("csrf_token", &form.csrf()), ("login", "ada"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(fine.location(), "/articles/budget?sort=new#comments", "a local path is kept");
}

#[tokio::test]
async fn failures_from_one_address_never_lock_the_owner_out_from_another() {
    let app = spawn_limited(|s| s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    app.create_user("chief", Role::Admin).await;
    let mut attacker = app.client();
    attacker.fetch_csrf().await;
    let mut statuses = Vec::new();
    // Username and e-mail address lead to the same account, and so to the same growing delay.
    for login in ["chief", "chief@example.com", "CHIEF", "chief@example.com", "chief", "chief@example.com"] {
        let response = from_ip(&attacker, "198.51.100.66", "/api/v1/session")
            .json(&json!({"login": login, "password": "not the password"}))
            .send()
            .await
            .unwrap();
        statuses.push(response.status());
    }
    assert_eq!(&statuses[..4], &[StatusCode::UNAUTHORIZED; 4], "{statuses:?}");
    assert_eq!(statuses[4], StatusCode::TOO_MANY_REQUESTS, "the fifth try waits: {statuses:?}");
    // More failures, each after its wait, until the wait (64 s) outlasts any slowness of the
    // machine: the checks below must not depend on how fast two sign-ins run.
    for _ in 0..5 {
        app.advance(chrono::TimeDelta::seconds(61));
        let response = from_ip(&attacker, "198.51.100.66", "/api/v1/session")
            .json(&json!({"login": "chief", "password": "still not the password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }

    // The owner, elsewhere, signs in at once, by name and by address.
    for login in ["chief", "chief@example.com"] {
        let mut owner = app.client();
        owner.fetch_csrf().await;
        let response = from_ip(&owner, "203.0.113.5", "/api/v1/session")
            .json(&json!({"login": login, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{login}");
    }
    // And the attacker is still slowed.
    let response = from_ip(&attacker, "198.51.100.66", "/api/v1/session")
        .json(&json!({"login": "chief", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn registering_with_a_taken_address_looks_like_registering_with_a_fresh_one() {
    let app = spawn().await;
    app.create_user("ada", Role::Reader).await;
    app.deliver().await;
    let before = app.smtp.to("ada@example.com").len();
    // Ada reads the newsletter.
    execute(&app, "UPDATE users SET email_verified_at = $1 WHERE username = $2", app.app.clock.now(), "ada");
    let ada = civil::services::accounts::find_by_username(&app.app, "ada").await.unwrap();
    civil::services::newsletter::subscribe_verified(&app.app, &ada).await.unwrap();

    // The API: the same status and the same shape.
    let mut fresh = app.client();
    fresh.fetch_csrf().await;
    let fresh_answer = fresh
        .api_post("/api/v1/accounts", json!({"username": "bob", "email": "bob@example.com", "password": PASSWORD}))
        .await;
    let mut taken = app.client();
    taken.fetch_csrf().await;
    let taken_answer = taken
        .api_post(
            "/api/v1/accounts",
            json!({"username": "mallory", "email": "Ada@Example.com", "password": "mallory's own passphrase"}),
        )
        .await;
    assert_eq!(fresh_answer.status, StatusCode::CREATED, "{}", fresh_answer.body);
    assert_eq!(taken_answer.status, fresh_answer.status, "{}", taken_answer.body);
    let shape = |body: &serde_json::Value| {
        let mut keys: Vec<String> = body.as_object().unwrap().keys().cloned().collect();
        keys.extend(body["user"].as_object().unwrap().iter().map(|(k, v)| format!("user.{k}:{}", v.is_null())));
        keys.sort();
        keys
    };
    assert_eq!(shape(&taken_answer.body), shape(&fresh_answer.body));
    assert!(fresh_answer.headers.get("set-cookie").is_some() && taken_answer.headers.get("set-cookie").is_some());

    // The form: the same redirect, with a session.
    let browser = app.client();
    let form = browser.get("/register?next=/articles/x").await;
    let page = browser
        .post_form(
            "/register?next=/articles/x",
            &[("csrf_token", &form.csrf()), ("username", "eve"), ("email", "ada@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!((page.status, page.location()), (StatusCode::SEE_OTHER, "/articles/x"), "{}", page.text);
    // Their own account page shows what they typed, as any new reader's does.
    let own = browser.get("/account").await;
    own.assert_contains("ada@example.com");
    own.assert_contains("not verified yet");
    own.assert_lacks("You receive the newsletter");

    // The owner hears about both attempts; nobody else gets mail for that address.
    app.deliver().await;
    let notes = app.smtp.to("ada@example.com");
    assert_eq!(notes.len(), before + 2, "a notice for each attempt");
    for note in &notes[before..] {
        assert!(note.data.contains("tried to create an account"), "{}", note.data);
        assert!(note.data.contains("your account ada."), "the way back in is the owner's: {}", note.data);
        assert!(note.link("/password/reset/").is_some(), "the notice offers a password reset");
        assert!(note.link("/account/verify/").is_none(), "and verifies nothing for the newcomer");
    }
    assert_eq!(app.smtp.to("bob@example.com").len(), 1, "the fresh address gets its verification link");

    // The newcomers cannot use the address: not to sign in, nor to have mail sent there.
    let mut intruder = app.client();
    intruder.fetch_csrf().await;
    let by_address = intruder
        .api_post("/api/v1/session", json!({"login": "ada@example.com", "password": "mallory's own passphrase"}))
        .await;
    assert_eq!(by_address.status, StatusCode::UNAUTHORIZED, "the address still signs in to ada's account only");
    let mut owner = app.client();
    owner.sign_in("ada@example.com", PASSWORD).await;
    assert_eq!(owner.api_get("/api/v1/session").await.body["user"]["username"], "ada");
    let mut mallory = app.client();
    mallory.sign_in("mallory", "mallory's own passphrase").await;
    let profile = mallory.get("/users/mallory").await;
    let resent = mallory.post_form("/account/verify/resend", &[("csrf_token", &profile.csrf())]).await;
    assert_eq!(resent.status, StatusCode::SEE_OTHER);
    app.deliver().await;
    assert_eq!(app.smtp.to("ada@example.com").len(), before + 2, "nothing more reaches the owner");
    // Usernames are public, so a taken one may say so.
    let mut late = app.client();
    late.fetch_csrf().await;
    let again = late
        .api_post("/api/v1/accounts", json!({"username": "bob", "email": "other@example.com", "password": PASSWORD}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn forgotten_password_requests_look_alike_and_are_limited_per_address() {
    let app = spawn_limited(|s| s.limits.password_resets_per_hour = 3).await;
    app.create_user("ada", Role::Reader).await;
    let client = app.client();
    let token = client.get("/password/forgot").await.csrf();
    let known = client.post_form("/password/forgot", &[("csrf_token", &token), ("email", "ada@example.com")]).await;
    let events_after_known = count(&app, "SELECT COUNT(*) AS n FROM rate_events");
    let unknown =
        client.post_form("/password/forgot", &[("csrf_token", &token), ("email", "nobody@example.com")]).await;
    let events_after_unknown = count(&app, "SELECT COUNT(*) AS n FROM rate_events");
    assert_eq!((known.status, unknown.status), (StatusCode::OK, StatusCode::OK));
    assert_eq!(known.text, unknown.text);
    assert_eq!(events_after_known, 1, "a request for a known address records itself");
    assert_eq!(events_after_unknown, 2, "and so does one for an unknown address");
    let third = client.post_form("/password/forgot", &[("csrf_token", &token), ("email", "who@example.com")]).await;
    assert_eq!(third.status, StatusCode::OK);
    let fourth = client.post_form("/password/forgot", &[("csrf_token", &token), ("email", "ada@example.com")]).await;
    assert_eq!(fourth.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = fourth.headers.get("retry-after").expect("Retry-After").to_str().unwrap().parse().unwrap();
    assert!(wait > 3000, "{wait}");
    fourth.assert_contains("Too many password reset requests");
    app.deliver().await;
    assert_eq!(app.smtp.to("ada@example.com").len(), 2, "the verification, and one reset link");
}

#[tokio::test]
async fn votes_are_limited_per_account() {
    let app = spawn_limited(|s| s.limits.votes_per_minute = 3).await;
    app.article("budget").await;
    let author = app.reader("author").await;
    let ids: Vec<i64> = {
        let mut ids = Vec::new();
        for i in 0..4 {
            ids.push(author.comment("budget", &format!("comment number {i}")).await);
            // Posting is limited too; this test is about votes.
            app.advance(chrono::Duration::hours(1));
        }
        ids
    };
    let voter = app.reader("voter").await;
    for id in &ids[..3] {
        let vote = voter.api_post(&format!("/api/v1/comments/{id}/vote"), json!({"value": 1})).await;
        assert_eq!(vote.status, StatusCode::OK, "{}", vote.body);
    }
    let refused = voter.api_post(&format!("/api/v1/comments/{}/vote", ids[3]), json!({"value": 1})).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers.get("retry-after").is_some());
    assert_eq!(refused.error_code(), "rate_limited");
    let thread = voter.thread("budget", "").await;
    let score = thread.body["comments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"].as_i64() == Some(ids[3]))
        .map(|c| c["score"].as_i64().unwrap());
    assert_eq!(score, Some(0), "the refused vote did not count");
    // Another reader has their own allowance.
    let other = app.reader("other").await;
    assert_eq!(
        other.api_post(&format!("/api/v1/comments/{}/vote", ids[3]), json!({"value": 1})).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_loop_of_rejected_comments_cannot_flood_the_moderation_log() {
    let app = spawn_limited(|_| {}).await;
    app.article("budget").await;
    app.site_settings(|s| s.words.banned = vec!["gammon".into()]).await;
    let ada = app.reader("ada").await;
    let first = ada.try_comment("budget", "Only a gammon would say that", None).await;
    assert_eq!(first.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut statuses = Vec::new();
    for i in 0..20 {
        statuses.push(ada.try_comment("budget", &format!("gammon number {i}"), None).await.status);
    }
    assert!(statuses.iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM moderation_log WHERE action = 'reject'"), 1);
    // Rejected edits count too, once the wait after the last rejection is over.
    app.advance(chrono::Duration::minutes(1));
    let id = ada.comment("budget", "A fair point about the budget").await;
    app.advance(chrono::Duration::minutes(5));
    let mut edits = Vec::new();
    for i in 0..10 {
        edits.push(
            ada.api_patch(&format!("/api/v1/comments/{id}"), json!({"body": format!("gammon {i}")})).await.status,
        );
    }
    assert_eq!(edits[0], StatusCode::UNPROCESSABLE_ENTITY, "{edits:?}");
    assert!(edits[1..].iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS), "{edits:?}");
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM moderation_log WHERE action = 'reject'"), 2);
}

async fn signed_in_as(client: &Client) -> Option<String> {
    client.api_get("/api/v1/session").await.body["user"]["username"].as_str().map(str::to_owned)
}

fn sessions_of(app: &TestApp, username: &str) -> i64 {
    count(
        app,
        &format!(
            "SELECT COUNT(*) AS n FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = '{username}')"
        ),
    )
}

#[tokio::test]
async fn staff_sessions_end_sooner_than_readers_both_when_idle_and_in_all() {
    let app = spawn().await;
    let moderator = app.signed_in("mod1", Role::Moderator).await;
    let reader = app.reader("ada").await;
    let hours = chrono::Duration::hours;

    // Three idle hours: too long for a moderator, nothing for a reader.
    app.advance(hours(3));
    assert_eq!(signed_in_as(&moderator).await, None, "a moderator idle for 3 hours signs in again");
    assert_eq!(sessions_of(&app, "mod1"), 0, "and the expired session is gone");
    assert_eq!(signed_in_as(&reader).await.as_deref(), Some("ada"));

    // Busy all along, but signed in 13 hours ago: a moderator's day is over.
    let moderator = {
        let mut c = app.client();
        c.sign_in("mod1", PASSWORD).await;
        c
    };
    for _ in 0..11 {
        app.advance(hours(1));
        assert_eq!(signed_in_as(&moderator).await.as_deref(), Some("mod1"), "busy, and within the day");
    }
    app.advance(hours(2));
    assert_eq!(signed_in_as(&moderator).await, None);

    // A reader idle for 15 days, or signed in 31 days ago, signs in again too.
    app.advance(hours(24 * 15));
    assert_eq!(signed_in_as(&reader).await, None);
    let reader = {
        let mut c = app.client();
        c.sign_in("ada", PASSWORD).await;
        c
    };
    for _ in 0..2 {
        app.advance(hours(24 * 10));
        assert_eq!(signed_in_as(&reader).await.as_deref(), Some("ada"), "busy, and within the month");
    }
    app.advance(hours(24 * 11));
    assert_eq!(signed_in_as(&reader).await, None);
    assert_eq!(sessions_of(&app, "ada"), 0);
}

#[tokio::test]
async fn a_session_is_marked_seen_only_every_so_often() {
    let app = spawn().await;
    let reader = app.reader("ada").await;
    let seen = || count(&app, "SELECT COUNT(*) AS n FROM sessions WHERE last_seen_at = created_at");
    for _ in 0..5 {
        assert_eq!(signed_in_as(&reader).await.as_deref(), Some("ada"));
    }
    assert_eq!(seen(), 1, "requests right after signing in write nothing");
    // A reader's idle limit is 14 days; seen an hour ago is fresh enough not to write again.
    app.advance(chrono::Duration::hours(1));
    signed_in_as(&reader).await;
    assert_eq!(seen(), 1);
    // Seen a day ago: the request moves the idle deadline on.
    app.advance(chrono::Duration::days(1));
    signed_in_as(&reader).await;
    assert_eq!(seen(), 0, "last_seen_at moved on");
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM sessions WHERE last_seen_at > created_at"),
        1,
        "to the time of the request"
    );
}

#[tokio::test]
async fn behind_https_the_cookies_carry_the_host_prefix() {
    let app = spawn_with(|s| s.base_url = "https://news.example".into()).await;
    app.create_user("ada", Role::Reader).await;
    let anonymous = app.client().http.get(format!("{}/api/v1/session", app.address)).send().await.unwrap();
    let csrf_cookie = anonymous.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(csrf_cookie.starts_with("__Host-civil_csrf="), "{csrf_cookie}");
    let csrf_value = csrf_cookie.split(';').next().unwrap().to_owned();
    let csrf_token = anonymous.json::<serde_json::Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_owned();

    let http = reqwest::Client::new();
    let signed_in = http
        .post(format!("{}/api/v1/session", app.address))
        .header("Cookie", &csrf_value)
        .header("X-CSRF-Token", &csrf_token)
        .json(&json!({"login": "ada", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::OK);
    let cookie = signed_in.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(cookie.starts_with("__Host-civil_session="), "{cookie}");
    let attributes: Vec<String> = cookie.split(';').skip(1).map(|a| a.trim().to_ascii_lowercase()).collect();
    assert!(attributes.contains(&"secure".to_owned()), "{cookie}");
    assert!(attributes.contains(&"path=/".to_owned()), "{cookie}");
    assert!(attributes.iter().all(|a| !a.starts_with("domain")), "{cookie}");

    let session = cookie.split(';').next().unwrap().to_owned();
    let me = http.get(format!("{}/api/v1/session", app.address)).header("Cookie", &session).send().await.unwrap();
    assert_eq!(me.json::<serde_json::Value>().await.unwrap()["user"]["username"], "ada");
    // What a signed-in reader is sent is private to them, whatever the cookie's name.
    let list = http.get(format!("{}/api/v1/articles", app.address)).header("Cookie", &session).send().await.unwrap();
    assert_eq!(list.status(), StatusCode::OK);
    assert_eq!(list.headers().get("cache-control").map(|v| v.to_str().unwrap()), Some("no-store"));
    let plain = session.replacen("__Host-", "", 1);
    let me = http.get(format!("{}/api/v1/session", app.address)).header("Cookie", &plain).send().await.unwrap();
    assert!(me.json::<serde_json::Value>().await.unwrap()["user"].is_null(), "the unprefixed name means nothing here");

    // Over plain http the names stay plain (browsers refuse __Host- without Secure).
    let plain_app = spawn().await;
    plain_app.create_user("bob", Role::Reader).await;
    let mut client = plain_app.client();
    client.fetch_csrf().await;
    let response = client.api_post("/api/v1/session", json!({"login": "bob", "password": PASSWORD})).await;
    let cookie = response.headers.get("set-cookie").unwrap().to_str().unwrap();
    assert!(cookie.starts_with("civil_session="), "{cookie}");
}
