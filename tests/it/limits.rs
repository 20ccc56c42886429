//! Rate limits, on (the test harness turns them off elsewhere).

use civil::config::Settings;
use civil::domain::role::Role;
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

fn retry_after(json: &Json) -> u64 {
    json.headers.get("retry-after").expect("Retry-After").to_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn new_accounts_post_once_per_interval_and_a_few_times_on_their_first_day() {
    let app = spawn_limited(|s| s.limits.first_day_comments = 3).await;
    app.article("budget").await;
    let ada = app.reader("ada").await;
    assert_eq!(ada.try_comment("budget", "one", None).await.status, StatusCode::CREATED);
    let quick = ada.try_comment("budget", "two", None).await;
    assert_eq!(quick.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(quick.error_code(), "rate_limited");
    let wait = retry_after(&quick);
    assert!((25..=30).contains(&wait), "new accounts wait 30 s: {wait}");
    assert!(quick.body["error"]["message"].as_str().unwrap().contains("too quickly"));

    // The page keeps the draft and says when to try again.
    let page = ada.submit("/articles/budget", "/articles/budget/comments", &[("body", "my unsent words")]).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.headers.get("retry-after").is_some());
    page.assert_contains("my unsent words");
    page.assert_contains("Try again in");
}

#[tokio::test]
async fn the_first_day_cap_holds() {
    let app = spawn_limited(|s| {
        s.limits.first_day_comments = 2;
        s.limits.new_account_post_interval_seconds = 0;
    })
    .await;
    app.article("budget").await;
    let ada = app.reader("ada").await;
    assert_eq!(ada.try_comment("budget", "one", None).await.status, StatusCode::CREATED);
    assert_eq!(ada.try_comment("budget", "two", None).await.status, StatusCode::CREATED);
    let third = ada.try_comment("budget", "three", None).await;
    assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(third.body["error"]["message"].as_str().unwrap().contains("first day"));
    assert!(retry_after(&third) > 80_000);
    // Staff are not limited.
    let chief = app.signed_in("chief", Role::Admin).await;
    for i in 0..4 {
        assert_eq!(chief.try_comment("budget", &format!("staff note {i}"), None).await.status, StatusCode::CREATED);
    }
}

#[tokio::test]
async fn established_accounts_post_every_few_seconds() {
    let app = spawn_limited(|_| {}).await;
    app.article("budget").await;
    // An account made 30 days ago, signed in today.
    app.create_user("ada", Role::Reader).await;
    app.advance(chrono::Duration::days(30));
    let mut ada = app.client();
    ada.sign_in("ada", PASSWORD).await;
    assert_eq!(ada.try_comment("budget", "one", None).await.status, StatusCode::CREATED);
    let quick = ada.try_comment("budget", "two", None).await;
    assert_eq!(quick.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&quick) <= 5);
    assert!(ada.try_comment("budget", "three", None).await.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("5 seconds"));
}

#[tokio::test]
async fn registrations_are_limited_per_address() {
    let app = spawn_limited(|s| s.limits.registrations_per_hour = 2).await;
    let mut client = app.client();
    client.fetch_csrf().await;
    for name in ["one", "two"] {
        let created = client.api_post("/api/v1/accounts", json!({"username": format!("user{name}"), "email": format!("{name}@example.com"), "password": PASSWORD})).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        client.fetch_csrf().await;
    }
    let third = client
        .api_post(
            "/api/v1/accounts",
            json!({"username": "userthree", "email": "three@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&third) > 3000);
}

#[tokio::test]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    let app = spawn_limited(|s| {
        s.limits.registrations_per_hour = 1;
        s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let register = |ip: &'static str, name: &'static str| {
        let app = &app;
        async move {
            let mut client = app.client();
            client.fetch_csrf().await;
            client
                .http
                .post(client.url("/api/v1/accounts"))
                .header("X-CSRF-Token", client.csrf.clone().unwrap())
                .header("X-Forwarded-For", ip)
                .json(&json!({"username": name, "email": format!("{name}@example.com"), "password": PASSWORD}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(register("198.51.100.1", "first").await, StatusCode::CREATED);
    assert_eq!(register("198.51.100.1", "second").await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(register("198.51.100.2", "third").await, StatusCode::CREATED, "another client behind the proxy");

    let untrusted = spawn_limited(|s| s.limits.registrations_per_hour = 1).await;
    let mut client = untrusted.client();
    client.fetch_csrf().await;
    let first = client
        .api_post("/api/v1/accounts", json!({"username": "alpha", "email": "a@example.com", "password": PASSWORD}))
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    client.fetch_csrf().await;
    let spoofed = client
        .http
        .post(client.url("/api/v1/accounts"))
        .header("X-CSRF-Token", client.csrf.clone().unwrap())
        .header("X-Forwarded-For", "203.0.113.77")
        .json(&json!({"username": "beta", "email": "b@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(spoofed.status(), StatusCode::TOO_MANY_REQUESTS, "a header from an untrusted peer changes nothing");
}

#[tokio::test]
async fn failed_sign_ins_are_limited_per_address_and_slowed_per_account() {
    let app = spawn_limited(|s| s.limits.sign_in_failures_per_minute = 100).await;
    app.create_user("ada", Role::Reader).await;
    let mut client = app.client();
    client.fetch_csrf().await;
    for _ in 0..4 {
        let wrong = client.api_post("/api/v1/session", json!({"login": "ada", "password": "wrong password"})).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    }
    let slowed = client.api_post("/api/v1/session", json!({"login": "ada", "password": PASSWORD})).await;
    assert_eq!(slowed.status, StatusCode::TOO_MANY_REQUESTS, "after 4 failures the account waits");
    let wait = retry_after(&slowed);
    assert!((1..=2).contains(&wait), "{wait}");
    app.advance(chrono::Duration::milliseconds(2100));
    client.sign_in("ada", PASSWORD).await;

    let strict = spawn_limited(|s| s.limits.sign_in_failures_per_minute = 3).await;
    let mut guesser = strict.client();
    guesser.fetch_csrf().await;
    for name in ["x1x", "x2x", "x3x"] {
        assert_eq!(
            guesser.api_post("/api/v1/session", json!({"login": name, "password": "guess guess"})).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let blocked = guesser.api_post("/api/v1/session", json!({"login": "x4x", "password": "guess guess"})).await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(blocked.body["error"]["message"].as_str().unwrap().contains("your network"));
}

#[tokio::test]
async fn subscriptions_are_limited_per_address() {
    let app = spawn_limited(|s| s.limits.subscriptions_per_hour = 2).await;
    let client = app.client();
    let token = client.get("/newsletter").await.csrf();
    for i in 0..2 {
        let page =
            client.post_form("/newsletter", &[("csrf_token", &token), ("email", &format!("s{i}@example.com"))]).await;
        assert_eq!(page.status, StatusCode::OK);
    }
    let third = client.post_form("/newsletter", &[("csrf_token", &token), ("email", "s3@example.com")]).await;
    assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(third.headers.get("retry-after").is_some());
    third.assert_contains("Too many subscriptions");
    third.assert_contains("s3@example.com");
    app.deliver().await;
    assert_eq!(app.smtp.messages().len(), 2, "a confirmation for each accepted subscription, none for the refused one");
}
