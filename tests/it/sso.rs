//! Single sign-on: the publisher's server signs a short-lived HS256 token; Civil finds or makes
//! the reader's account by `sub` and signs it in. Tokens are made here as a publisher would
//! make them, with HMAC-SHA256 directly, not with Civil's own code.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::TimeDelta;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::{spawn, spawn_with, Client, TestApp, PASSWORD};
use civil::domain::role::Role;
use civil::services::accounts;

const SECRET: &str = "the publisher's secret, 32 characters or more";

pub(crate) async fn spawn_sso() -> TestApp {
    spawn_with(|s| s.sso_secret = Some(civil::domain::sso::SsoSecret::parse(SECRET).unwrap())).await
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn sign_with(secret: &str, header: &Value, claims: &Value) -> String {
    let input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(input.as_bytes());
    format!("{input}.{}", b64(&mac.finalize().into_bytes()))
}

fn now(app: &TestApp) -> i64 {
    app.app.clock.now().and_utc().timestamp()
}

/// Claims for a reader, issued now and valid for five minutes.
pub(crate) fn claims(app: &TestApp, sub: &str, username: &str, name: &str) -> Value {
    json!({
        "sub": sub,
        "email": format!("{sub}@publisher.example"),
        "username": username,
        "name": name,
        "iat": now(app),
        "exp": now(app) + 300,
    })
}

pub(crate) fn token(claims: &Value) -> String {
    sign_with(SECRET, &json!({"alg": "HS256", "typ": "JWT"}), claims)
}

pub(crate) async fn anonymous(app: &TestApp) -> Client {
    let mut client = app.client();
    client.fetch_csrf().await;
    client
}

/// Sign in through the API; the client keeps the session's CSRF token.
pub(crate) async fn sso(client: &mut Client, token: &str) -> crate::helpers::Json {
    let response = client.api_post("/api/v1/sso", json!({"token": token})).await;
    if response.status == StatusCode::OK {
        client.csrf = Some(response.body["csrf_token"].as_str().unwrap().to_owned());
    }
    response
}

async fn account_count(app: &TestApp) -> i64 {
    use civil::store::schema::users;
    use diesel::prelude::*;
    let mut conn = app.app.pool.get().unwrap();
    users::table.count().get_result(&mut conn).unwrap()
}

async fn assert_refused(app: &TestApp, token: &str, message: &str) {
    let before = account_count(app).await;
    let mut client = anonymous(app).await;
    let response = sso(&mut client, token).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{}", response.body);
    assert_eq!(response.error_code(), "sso_refused");
    let said = response.body["error"]["message"].as_str().unwrap();
    assert!(said.contains(message), "{said:?} should say {message:?}");
    assert!(client.api_get("/api/v1/session").await.body["user"].is_null(), "nobody is signed in");
    assert_eq!(account_count(app).await, before, "no account is made");
}

#[tokio::test]
async fn a_valid_token_makes_the_account_signs_it_in_and_it_can_post() {
    let app = spawn_sso().await;
    app.article("story").await;
    let mut reader = anonymous(&app).await;
    let signed = sso(&mut reader, &token(&claims(&app, "pub-42", "ada.lovelace", "Ada Lovelace"))).await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.body);
    assert_eq!(signed.body["user"]["username"], "ada_lovelace", "made a valid username");
    assert_eq!(signed.body["user"]["display_name"], "Ada Lovelace");
    assert!(signed.headers.get_all("set-cookie").iter().any(|c| c.to_str().unwrap().contains("HttpOnly")));
    let session = reader.api_get("/api/v1/session").await;
    assert_eq!(session.body["user"]["username"], "ada_lovelace");
    assert_eq!(session.body["user"]["role"], "reader");

    let id = reader.comment("story", "Signed in from the publisher's site.").await;
    let thread = reader.thread("story", "").await;
    assert_eq!(thread.body["comments"][0]["id"], id);

    // The publisher vouches for the address: it is verified, and no verification mail is sent.
    let user = accounts::find_by_username(&app.app, "ada_lovelace").await.unwrap();
    assert_eq!(user.email, "pub-42@publisher.example");
    assert!(accounts::email_status(&app.app, user.id).await.unwrap().0, "verified");
    app.deliver().await;
    assert!(app.smtp.messages().is_empty());
}

#[tokio::test]
async fn a_later_token_for_the_same_sub_finds_the_account_and_updates_it() {
    let app = spawn_sso().await;
    let mut first = anonymous(&app).await;
    let one = sso(&mut first, &token(&claims(&app, "pub-42", "ada", "Ada Lovelace"))).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    app.advance(TimeDelta::seconds(5));
    let mut later = claims(&app, "pub-42", "someone-else", "Ada King");
    later["email"] = json!("ada.king@publisher.example");
    let mut second = anonymous(&app).await;
    let two = sso(&mut second, &token(&later)).await;
    assert_eq!(two.status, StatusCode::OK, "{}", two.body);
    assert_eq!(two.body["user"]["id"], one.body["user"]["id"], "the same account");
    assert_eq!(two.body["user"]["username"], "ada", "the username stays");
    assert_eq!(two.body["user"]["display_name"], "Ada King", "the name follows the publisher");
    assert_eq!(accounts::find_by_username(&app.app, "ada").await.unwrap().email, "ada.king@publisher.example");
    assert_eq!(account_count(&app).await, 1);

    // Another reader proposing a taken username gets a unique one.
    let mut other = anonymous(&app).await;
    let three = sso(&mut other, &token(&claims(&app, "pub-43", "ADA", "Another Ada"))).await;
    assert_eq!(three.status, StatusCode::OK, "{}", three.body);
    assert_eq!(three.body["user"]["username"], "ADA-2");
}

#[tokio::test]
async fn an_address_that_belongs_to_a_registered_account_stays_with_it() {
    let app = spawn_sso().await;
    app.create_user("owner", Role::Reader).await;
    let mut claims = claims(&app, "pub-7", "owner", "Not The Owner");
    claims["email"] = json!("owner@example.com");
    let mut client = anonymous(&app).await;
    let signed = sso(&mut client, &token(&claims)).await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.body);
    assert_eq!(signed.body["user"]["username"], "owner-2", "a new account, not the registered one");
    let mut owner = app.client();
    owner.sign_in("owner@example.com", PASSWORD).await;
    assert_eq!(owner.api_get("/api/v1/session").await.body["user"]["username"], "owner");
    let made = accounts::find_by_username(&app.app, "owner-2").await.unwrap();
    assert!(!accounts::email_status(&app.app, made.id).await.unwrap().0, "not verified for this account");
    app.deliver().await;
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let app = spawn_sso().await;
    let expired = token(&claims(&app, "pub-1", "late", "Late"));
    app.advance(TimeDelta::minutes(6));
    assert_refused(&app, &expired, "expired").await;
}

#[tokio::test]
async fn a_token_valid_for_too_long_is_refused() {
    let app = spawn_sso().await;
    let mut claims = claims(&app, "pub-1", "forever", "Forever");
    claims["exp"] = json!(now(&app) + 86_400);
    assert_refused(&app, &token(&claims), "at most 10 minutes").await;
}

#[tokio::test]
async fn a_forged_token_is_refused() {
    let app = spawn_sso().await;
    let header = json!({"alg": "HS256", "typ": "JWT"});
    let wrong_secret = sign_with("a guess at the secret, 32 characters", &header, &claims(&app, "pub-1", "a", "A"));
    assert_refused(&app, &wrong_secret, "signature").await;

    // The claims of a real token changed to another reader's.
    let real = token(&claims(&app, "pub-1", "one", "One"));
    let parts: Vec<&str> = real.split('.').collect();
    let swapped =
        format!("{}.{}.{}", parts[0], b64(claims(&app, "admin-1", "two", "Two").to_string().as_bytes()), parts[2]);
    assert_refused(&app, &swapped, "signature").await;
    assert_refused(&app, "not.a.token", "malformed").await;
    assert_refused(&app, "", "malformed").await;
}

#[tokio::test]
async fn an_unsigned_token_is_refused() {
    let app = spawn_sso().await;
    let claims = b64(claims(&app, "pub-1", "none", "None").to_string().as_bytes());
    for alg in ["none", "HS512"] {
        let header = b64(json!({"alg": alg, "typ": "JWT"}).to_string().as_bytes());
        assert_refused(&app, &format!("{header}.{claims}."), "HS256").await;
    }
}

#[tokio::test]
async fn a_token_works_once() {
    let app = spawn_sso().await;
    let once = token(&claims(&app, "pub-1", "once", "Once"));
    let mut first = anonymous(&app).await;
    assert_eq!(sso(&mut first, &once).await.status, StatusCode::OK);
    let mut replay = anonymous(&app).await;
    let again = sso(&mut replay, &once).await;
    assert_eq!((again.status, again.error_code()), (StatusCode::UNAUTHORIZED, "sso_refused"));
    assert!(again.body["error"]["message"].as_str().unwrap().contains("already been used"));
    assert!(replay.api_get("/api/v1/session").await.body["user"].is_null());

    // Used tokens are forgotten once they would be refused as expired anyway.
    let count = || async {
        let mut conn = app.app.pool.get().unwrap();
        civil::store::sso::count(&mut conn).unwrap()
    };
    assert_eq!(count().await, 1);
    app.advance(TimeDelta::minutes(6));
    assert_eq!(
        sso(&mut anonymous(&app).await, &token(&claims(&app, "pub-1", "once", "Once"))).await.status,
        StatusCode::OK
    );
    assert_eq!(count().await, 1, "the expired one was swept");
}

#[tokio::test]
async fn without_a_secret_single_sign_on_is_off() {
    let app = spawn().await;
    let mut client = anonymous(&app).await;
    let response = sso(&mut client, &token(&claims(&app, "pub-1", "ada", "Ada"))).await;
    assert_eq!((response.status, response.error_code()), (StatusCode::NOT_FOUND, "not_found"));
    assert!(response.body["error"]["message"].as_str().unwrap().contains("not turned on"));
    let page = client.submit("/signin", "/sso", &[("token", "x.y.z")]).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    page.assert_contains("Single sign-on is not turned on");
    assert_eq!(account_count(&app).await, 0);
}

#[tokio::test]
async fn the_form_signs_in_and_goes_on_to_a_local_page_only() {
    let app = spawn_sso().await;
    let browser = app.client();
    let fine = token(&claims(&app, "pub-1", "ada", "Ada"));
    let page = browser.submit("/signin", "/sso", &[("token", &fine), ("next", "/articles/story#comments")]).await;
    assert_eq!((page.status, page.location()), (StatusCode::SEE_OTHER, "/articles/story#comments"), "{}", page.text);
    assert_eq!(browser.api_get("/api/v1/session").await.body["user"]["username"], "ada");

    let other = app.client();
    let next = token(&claims(&app, "pub-2", "bob", "Bob"));
    let page = other.submit("/signin", "/sso", &[("token", &next), ("next", "//evil.example/")]).await;
    assert_eq!((page.status, page.location()), (StatusCode::SEE_OTHER, "/"));

    let refused = app.client().submit("/signin", "/sso", &[("token", &fine)]).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "replayed");
    refused.assert_contains("already been used");
}

#[tokio::test]
async fn bans_and_roles_hold_for_sso_readers() {
    let app = spawn_sso().await;
    app.article("story").await;
    let mut reader = anonymous(&app).await;
    let signed = sso(&mut reader, &token(&claims(&app, "pub-9", "troll", "Troll"))).await;
    let id = signed.body["user"]["id"].as_i64().unwrap();
    let admin = app.signed_in("boss", Role::Admin).await;
    let banned = admin.api_post(&format!("/api/v1/moderation/users/{id}/ban"), json!({"reason": "Abuse"})).await;
    assert_eq!(banned.status, StatusCode::OK, "{}", banned.body);

    // Signing in again through the publisher does not lift the ban.
    app.advance(TimeDelta::seconds(1));
    let mut again = anonymous(&app).await;
    assert_eq!(sso(&mut again, &token(&claims(&app, "pub-9", "troll", "Troll"))).await.status, StatusCode::OK);
    let post = again.try_comment("story", "Back again.", None).await;
    assert_eq!(post.status, StatusCode::FORBIDDEN, "{}", post.body);

    // Nor does it change a role an admin gave.
    let mut helper = anonymous(&app).await;
    sso(&mut helper, &token(&claims(&app, "pub-10", "helper", "Helper"))).await;
    accounts::set_role(&app.app, civil::services::Actor::Operator, "helper", Role::Moderator).await.unwrap();
    app.advance(TimeDelta::seconds(1));
    let mut later = anonymous(&app).await;
    let signed = sso(&mut later, &token(&claims(&app, "pub-10", "helper", "Helper"))).await;
    assert_eq!(signed.body["user"]["role"], "moderator");
}

#[tokio::test]
async fn an_sso_account_has_no_password() {
    let app = spawn_sso().await;
    let mut reader = anonymous(&app).await;
    sso(&mut reader, &token(&claims(&app, "pub-5", "ada", "Ada"))).await;

    let client = anonymous(&app).await;
    let by_name = client.api_post("/api/v1/session", json!({"login": "ada", "password": "any password at all"})).await;
    assert_eq!(by_name.status, StatusCode::FORBIDDEN, "{}", by_name.body);
    assert!(by_name.body["error"]["message"].as_str().unwrap().contains("single sign-on"));
    let empty_hash = client.api_post("/api/v1/session", json!({"login": "ada", "password": ""})).await;
    assert_ne!(empty_hash.status, StatusCode::OK);
    // By address, it fails as any wrong password does: an address stays private.
    let by_address =
        client.api_post("/api/v1/session", json!({"login": "pub-5@publisher.example", "password": "anything"})).await;
    assert_eq!((by_address.status, by_address.error_code()), (StatusCode::UNAUTHORIZED, "invalid_credentials"));
    assert!(client.api_get("/api/v1/session").await.body["user"].is_null());

    // "Forgot password" sends it nothing, and answers as for any address.
    let anon = app.client();
    let asked = anon.submit("/password/forgot", "/password/forgot", &[("email", "pub-5@publisher.example")]).await;
    assert_eq!(asked.status, StatusCode::OK);
    app.deliver().await;
    assert!(app.smtp.to("pub-5@publisher.example").is_empty());

    // Someone registering with its address: see
    // `the_address_taken_note_to_a_single_sign_on_account_offers_no_password_reset`.
}

/// Guessing at tokens costs what guessing at passwords does: failed single sign-ins count
/// against the same per-address limit as failed password sign-ins, by the API and the form, and
/// a refusal is the usual 429 with `Retry-After`. Successful sign-ins cost nothing.
#[tokio::test]
async fn failed_single_sign_ins_are_limited_like_password_sign_ins() {
    let app = spawn_with(|s| {
        s.sso_secret = Some(civil::domain::sso::SsoSecret::parse(SECRET).unwrap());
        s.rate_limits = true;
    })
    .await;
    let max = app.app.settings.limits.sign_in_failures_per_minute;
    for n in 0..max + 2 {
        let mut reader = anonymous(&app).await;
        let signed_in = sso(&mut reader, &token(&claims(&app, &format!("reader-{n}"), "reader", "R"))).await;
        assert_eq!(signed_in.status, StatusCode::OK, "a success is no failure: {}", signed_in.body);
    }
    let forged =
        sign_with("another secret, also 32 characters long", &json!({"alg": "HS256"}), &claims(&app, "x", "x", "X"));
    let mut guesser = anonymous(&app).await;
    // One failure by password, the rest by token: the budget is shared.
    let wrong = guesser.api_post("/api/v1/session", json!({"login": "nobody", "password": "not the password"})).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{}", wrong.body);
    for _ in 1..max {
        assert_eq!(sso(&mut guesser, &forged).await.status, StatusCode::UNAUTHORIZED);
    }
    let valid = token(&claims(&app, "late", "late", "Late"));
    let limited = sso(&mut guesser, &valid).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS, "{}", limited.body);
    assert_eq!(limited.error_code(), "rate_limited");
    assert!(limited.headers.get("retry-after").is_some());
    // The form without JavaScript is held back the same way, and shows why.
    let form = guesser.submit("/signin", "/sso", &[("token", &valid)]).await;
    assert_eq!(form.status, StatusCode::TOO_MANY_REQUESTS);
    form.assert_contains("Too many failed sign-ins");
    assert!(form.headers.get("retry-after").is_some());
    // A minute later the valid token (never used: the refusals came first) signs in.
    app.advance(TimeDelta::seconds(61));
    assert_eq!(sso(&mut guesser, &valid).await.status, StatusCode::OK);
}

/// Someone registering with the address of an account made by single sign-on: the owner is told
/// to sign in through the publisher's site, with no password reset link (it has no password).
#[tokio::test]
async fn the_address_taken_note_to_a_single_sign_on_account_offers_no_password_reset() {
    let app = spawn_sso().await;
    let mut grace = anonymous(&app).await;
    assert_eq!(sso(&mut grace, &token(&claims(&app, "reader-7", "grace", "Grace"))).await.status, StatusCode::OK);
    let other = anonymous(&app).await;
    let created = other
        .api_post(
            "/api/v1/accounts",
            json!({"username": "mallory", "email": "reader-7@publisher.example", "password": PASSWORD}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    app.deliver().await;
    let mail = app.smtp.to("reader-7@publisher.example");
    assert_eq!(mail.len(), 1, "{mail:?}");
    let unfolded = mail[0].data.replace("=\r\n", "").replace("=\n", "");
    assert!(unfolded.contains("signs in through the publisher"), "{unfolded}");
    assert_eq!(mail[0].link("/password/reset/"), None, "no reset link: {unfolded}");
}
