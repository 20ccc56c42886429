//! `/account`: a reader manages their account on one page.

use civil::domain::role::Role;
use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

fn path_of(link: &str) -> String {
    let after_scheme = link.split_once("://").map_or(link, |(_, rest)| rest);
    after_scheme.find('/').map_or("/".to_owned(), |i| after_scheme[i..].to_owned())
}

/// A reader whose address is verified (as if they had followed the link).
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

/// Post one of the account page's forms, with the token from the page, as a browser would.
async fn account_form(client: &Client, action: &str, fields: &[(&str, &str)]) -> Page {
    client.submit("/account", action, fields).await
}

async fn signed_in_as(client: &Client) -> Value {
    client.api_get("/api/v1/session").await.body["user"]["username"].clone()
}

#[tokio::test]
async fn the_account_page_needs_an_account_and_the_profile_links_to_it() {
    let app = spawn().await;
    let anonymous = app.client().get("/account").await;
    assert_ne!(anonymous.status, StatusCode::OK, "{}", anonymous.text);
    let ada = app.reader("ada").await;
    let page = ada.get("/account").await;
    assert_eq!(page.status, StatusCode::OK);
    for part in [
        "Display name",
        "E-mail address",
        "Password",
        "Replies to your comments",
        "Newsletter",
        "Where you are signed in",
        "Download your data",
        "Delete your account",
    ] {
        page.assert_contains(part);
    }
    page.assert_contains("ada@example.com");
    let profile = ada.get("/users/ada").await;
    profile.assert_contains(r#"href="/account""#);
    profile.assert_lacks("ada@example.com");
    // Settings forms that used to lead back to the profile lead to the account page.
    let on = account_form(&ada, "/account/notifications", &[("on", "1")]).await;
    assert_eq!(on.location(), "/account?done=notifications-on#mail");
    ada.get("/account?done=notifications-on").await.assert_contains("We will e-mail you when someone replies");
}

#[tokio::test]
async fn the_display_name_changes_and_is_checked_like_a_new_one() {
    let app = spawn().await;
    app.article("budget").await;
    let ada = app.reader("ada").await;
    ada.comment("budget", "A first comment.").await;

    let saved = account_form(&ada, "/account/name", &[("display_name", "Ada Lovelace")]).await;
    assert_eq!((saved.status, saved.location()), (StatusCode::SEE_OTHER, "/account?done=name#profile"));
    ada.get("/account?done=name").await.assert_contains("Your display name is saved.");
    app.client().get("/articles/budget").await.assert_contains("Ada Lovelace");

    let long = "x".repeat(200);
    let refused = account_form(&ada, "/account/name", &[("display_name", &long)]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("at most");
    refused.assert_contains(&long);
    app.client().get("/articles/budget").await.assert_contains("Ada Lovelace");

    // Empty goes back to the username.
    account_form(&ada, "/account/name", &[("display_name", "")]).await;
    app.client().get("/articles/budget").await.assert_lacks("Ada Lovelace");
}

#[tokio::test]
async fn a_new_address_is_used_only_once_its_link_is_followed_and_the_old_one_is_told() {
    let app = spawn().await;
    let ada = verified_reader(&app, "ada").await;

    let wrong =
        account_form(&ada, "/account/email", &[("email", "new@example.org"), ("current_password", "not my password")])
            .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", wrong.text);
    wrong.assert_contains("not your current password");
    wrong.assert_contains("new@example.org");

    let asked =
        account_form(&ada, "/account/email", &[("email", "new@example.org"), ("current_password", PASSWORD)]).await;
    assert_eq!((asked.status, asked.location()), (StatusCode::SEE_OTHER, "/account?done=email-sent#email"));
    app.deliver().await;
    // Nothing changes yet: the old address still signs in and gets the mail.
    let page = ada.get("/account").await;
    page.assert_contains("ada@example.com");
    page.assert_lacks("new@example.org");
    assert!(app.smtp.to("ada@example.com").iter().all(|m| !m.header("subject").unwrap().contains("changed")));
    let link = app.smtp.to("new@example.org")[0].link("/account/email/").expect("a change link to the new address");

    // The link opens a page; only its button changes the address, so mail scanners cannot.
    let stranger = app.client();
    let confirm = stranger.get(&path_of(&link)).await;
    assert_eq!(confirm.status, StatusCode::OK);
    confirm.assert_contains("new@example.org");
    let done = stranger.post_form(&path_of(&link), &[("csrf_token", &confirm.csrf())]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    done.assert_contains("Address changed");
    let again = stranger.post_form(&path_of(&link), &[("csrf_token", &confirm.csrf())]).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "the link works once");

    app.deliver().await;
    let notices: Vec<_> = app
        .smtp
        .to("ada@example.com")
        .into_iter()
        .filter(|m| m.header("subject").unwrap().contains("address was changed"))
        .collect();
    assert_eq!(notices.len(), 1, "the old address is told");
    assert!(notices[0].data.contains("n***@example.org"), "{}", notices[0].data);
    assert!(!notices[0].data.contains("new@example.org"), "without giving the new address away: {}", notices[0].data);

    let page = ada.get("/account").await;
    page.assert_contains("new@example.org");
    page.assert_contains("verified");
    let mut by_new = app.client();
    by_new.sign_in("new@example.org", PASSWORD).await;
    let mut by_old = app.client();
    by_old.fetch_csrf().await;
    let refused = by_old.api_post("/api/v1/session", json!({"login": "ada@example.com", "password": PASSWORD})).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_address_another_account_took_meanwhile_is_not_moved_to() {
    let app = spawn().await;
    let ada = app.reader("ada").await;
    account_form(&ada, "/account/email", &[("email", "shared@example.com"), ("current_password", PASSWORD)]).await;
    app.deliver().await;
    let link = app.smtp.to("shared@example.com")[0].link("/account/email/").unwrap();
    app.create_user("shared", Role::Reader).await;
    let page = ada.get(&path_of(&link)).await;
    let refused = ada.post_form(&path_of(&link), &[("csrf_token", &page.csrf())]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
    ada.get("/account").await.assert_contains("ada@example.com");
}

#[tokio::test]
async fn a_new_password_needs_the_current_one_and_ends_every_other_session() {
    let app = spawn().await;
    let ada = app.reader("ada").await;
    let mut phone = app.client();
    phone.sign_in("ada", PASSWORD).await;

    let wrong = account_form(
        &ada,
        "/account/password",
        &[("current_password", "guess"), ("new_password", "a new long passphrase")],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    wrong.assert_contains("not your current password");
    assert_eq!(signed_in_as(&phone).await, "ada", "a refused change ends nothing");

    let short =
        account_form(&ada, "/account/password", &[("current_password", PASSWORD), ("new_password", "short")]).await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);

    let changed = account_form(
        &ada,
        "/account/password",
        &[("current_password", PASSWORD), ("new_password", "a new long passphrase")],
    )
    .await;
    assert_eq!((changed.status, changed.location()), (StatusCode::SEE_OTHER, "/account?done=password#password"));
    assert_eq!(signed_in_as(&ada).await, "ada", "this session stays");
    assert_eq!(signed_in_as(&phone).await, Value::Null, "the other session ended");
    let mut old = app.client();
    old.fetch_csrf().await;
    let refused = old.api_post("/api/v1/session", json!({"login": "ada", "password": PASSWORD})).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let mut fresh = app.client();
    fresh.sign_in("ada", "a new long passphrase").await;
}

const FIREFOX: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
const PHONE: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
const MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15";

/// The id in the first form action `/account/sessions/{id}/end` after `device` on the page.
fn session_id_after(page: &Page, device: &str) -> String {
    let at = page.text.find(device).unwrap_or_else(|| panic!("{device} is listed:\n{}", page.text));
    let rest = &page.text[at..];
    let start = rest.find("/account/sessions/").expect("a sign-out form") + "/account/sessions/".len();
    rest[start..].split('/').next().unwrap().to_owned()
}

#[tokio::test]
async fn readers_see_their_sessions_and_sign_out_one_or_all_others() {
    let app = spawn().await;
    app.create_user("ada", Role::Reader).await;
    let mut clients = Vec::new();
    for agent in [FIREFOX, PHONE, MAC] {
        let mut client = app.client_as(agent);
        client.sign_in("ada", PASSWORD).await;
        // A session's device is recorded on its first request after signing in.
        client.get("/").await;
        clients.push(client);
    }
    let [laptop, phone, mac] = &clients[..] else { unreachable!() };
    let page = laptop.get("/account").await;
    page.assert_contains("Firefox on Windows");
    page.assert_contains("Chrome on Android");
    page.assert_contains("Safari on macOS");
    page.assert_contains("this browser");
    page.assert_contains("Signed in");
    page.assert_contains("last seen");

    // Another reader cannot end ada's sessions, even knowing an id.
    let phone_id = session_id_after(&page, "Chrome on Android");
    let bob = app.reader("bob").await;
    let theirs = account_form(&bob, &format!("/account/sessions/{phone_id}/end"), &[]).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(signed_in_as(phone).await, "ada");

    let ended = account_form(laptop, &format!("/account/sessions/{phone_id}/end"), &[]).await;
    assert_eq!(ended.location(), "/account?done=session-ended#sessions");
    assert_eq!(signed_in_as(phone).await, Value::Null);
    assert_eq!(signed_in_as(mac).await, "ada");
    laptop.get("/account").await.assert_lacks("Chrome on Android");

    let others = account_form(laptop, "/account/sessions/end-others", &[]).await;
    assert_eq!(others.location(), "/account?done=others-ended#sessions");
    assert_eq!(signed_in_as(mac).await, Value::Null);
    assert_eq!(signed_in_as(laptop).await, "ada");
    let page = laptop.get("/account").await;
    page.assert_lacks("Safari on macOS");
    page.assert_lacks("Sign out everywhere else");
}

fn subscriber_status(app: &TestApp, email: &str) -> Option<String> {
    use civil::store::schema::subscribers;
    let mut conn = app.app.pool.get().unwrap();
    subscribers::table
        .filter(subscribers::email_key.eq(email))
        .select(subscribers::status)
        .first(&mut conn)
        .optional()
        .unwrap()
}

#[tokio::test]
async fn reply_notifications_and_the_newsletter_switch_on_and_off_from_the_account_page() {
    let app = spawn().await;
    let ada = verified_reader(&app, "ada").await;
    ada.get("/account").await.assert_contains("Subscribe to the newsletter");
    let on = account_form(&ada, "/account/newsletter", &[("on", "1")]).await;
    assert_eq!(on.location(), "/account?done=subscribed#mail");
    assert_eq!(subscriber_status(&app, "ada@example.com").as_deref(), Some("confirmed"));
    ada.get("/account").await.assert_contains("You receive the newsletter at ada@example.com");
    let off = account_form(&ada, "/account/newsletter", &[("on", "0")]).await;
    assert_eq!(off.location(), "/account?done=unsubscribed#mail");
    assert_eq!(subscriber_status(&app, "ada@example.com").as_deref(), Some("unsubscribed"));
    ada.get("/account").await.assert_contains("Subscribe to the newsletter");

    account_form(&ada, "/account/notifications", &[("on", "1")]).await;
    ada.get("/account").await.assert_contains("Stop e-mails about replies");
    account_form(&ada, "/account/notifications", &[("on", "0")]).await;
    ada.get("/account").await.assert_contains("E-mail me when someone replies to me");
}

#[tokio::test]
async fn the_export_holds_all_of_the_readers_data_and_nobody_elses() {
    let app = spawn().await;
    app.article("budget").await;
    let ada = verified_reader(&app, "ada").await;
    account_form(&ada, "/account/newsletter", &[("on", "1")]).await;
    let bob = app.reader("bob").await;
    let bobs = bob.comment("budget", "Bob's private thoughts on rates.").await;
    let kept = ada.comment("budget", "Ada's view on the budget.").await;
    let gone = ada.comment("budget", "Ada's second thought.").await;
    assert_eq!(ada.api_delete(&format!("/api/v1/comments/{gone}")).await.status, StatusCode::NO_CONTENT);
    ada.api_post(&format!("/api/v1/comments/{bobs}/vote"), json!({"value": 1})).await;
    let flagged = ada
        .api_post(&format!("/api/v1/comments/{bobs}/flags"), json!({"reason": "other", "note": "Ada's flag note"}))
        .await;
    assert!(flagged.status.is_success(), "{}", flagged.body);
    bob.api_post(&format!("/api/v1/comments/{kept}/vote"), json!({"value": 1})).await;

    let response = ada.http.get(ada.url("/account/export")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let disposition = response.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.starts_with("attachment;") && disposition.contains("ada-data-"), "{disposition}");
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let text = response.text().await.unwrap();
    let data: Value = serde_json::from_str(&text).unwrap();

    assert_eq!(data["profile"]["username"], "ada");
    assert_eq!(data["profile"]["email"], "ada@example.com");
    let comments = data["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 2, "{text}");
    assert_eq!(
        (comments[0]["id"].as_i64(), comments[0]["text"].as_str()),
        (Some(kept), Some("Ada's view on the budget."))
    );
    assert_eq!(comments[0]["status"], "published");
    assert_eq!(comments[0]["article"], "budget");
    assert_eq!(
        (comments[1]["text"].as_str(), comments[1]["status"].as_str()),
        (Some("Ada's second thought."), Some("deleted"))
    );
    assert_eq!(data["votes"], json!([{"comment_id": bobs, "value": 1, "created_at": data["votes"][0]["created_at"]}]));
    assert_eq!(data["flags"][0]["comment_id"], bobs);
    assert_eq!(data["flags"][0]["note"], "Ada's flag note");
    assert_eq!(data["newsletter"]["status"], "confirmed");
    let sessions = data["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["current"], true);
    for other in ["Bob's private thoughts", "bob@example.com", "\"bob\""] {
        assert!(!text.contains(other), "{other} is bob's, not ada's: {text}");
    }

    let anonymous = app.client().get("/account/export").await;
    assert_ne!(anonymous.status, StatusCode::OK);
}

fn log_actions(app: &TestApp) -> Vec<(String, Option<String>)> {
    use civil::store::schema::moderation_log;
    let mut conn = app.app.pool.get().unwrap();
    moderation_log::table.select((moderation_log::action, moderation_log::note)).load(&mut conn).unwrap()
}

#[tokio::test]
async fn deleting_the_account_keeps_replies_readable_under_placeholders_and_erases_the_rest() {
    let app = spawn().await;
    app.article("budget").await;
    let ada = verified_reader(&app, "ada").await;
    account_form(&ada, "/account/newsletter", &[("on", "1")]).await;
    let mut ada_phone = app.client();
    ada_phone.sign_in("ada", PASSWORD).await;
    let bob = app.reader("bob").await;
    let answered = ada.comment("budget", "Ada's answered comment.").await;
    let reply = bob.reply("budget", answered, "Bob's reply stays readable.").await;
    let lonely = ada.comment("budget", "Ada's lonely comment.").await;
    let bobs = bob.comment("budget", "Bob's own comment.").await;
    ada.api_post(&format!("/api/v1/comments/{bobs}/vote"), json!({"value": 1})).await;

    let wrong = account_form(&ada, "/account/delete", &[("current_password", "not it")]).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    wrong.assert_contains("not your current password");
    assert_eq!(signed_in_as(&ada).await, "ada", "nothing happened");

    let deleted = account_form(&ada, "/account/delete", &[("current_password", PASSWORD)]).await;
    assert_eq!((deleted.status, deleted.location()), (StatusCode::SEE_OTHER, "/account/deleted"));
    let cookie = deleted.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("Max-Age=0"), "the session cookie is cleared: {cookie}");
    assert_eq!(signed_in_as(&ada).await, Value::Null);
    assert_eq!(signed_in_as(&ada_phone).await, Value::Null, "every session ended");

    // The answered comment stays as a placeholder, holding up the reply; the lonely one is gone.
    let thread = app.client().thread("budget", "").await.body;
    assert_eq!(ids(&thread["comments"]), vec![answered, reply, bobs]);
    let placeholder = &thread["comments"][0];
    assert_eq!((placeholder["status"].as_str(), placeholder["author"].clone()), (Some("deleted"), Value::Null));
    assert_eq!(
        thread["comments"][0]["replies"][0]["body_html"].as_str().map(|b| b.contains("Bob's reply stays readable")),
        Some(true)
    );
    let article = app.client().get("/articles/budget").await;
    article.assert_contains("[deleted]");
    article.assert_contains("Bob's reply stays readable.");
    article.assert_lacks("Ada's answered");
    article.assert_lacks("Ada's lonely");
    let _ = lonely;

    // Their words are gone from the database too, not only from the pages.
    {
        use civil::store::schema::comments;
        let mut conn = app.app.pool.get().unwrap();
        let texts: Vec<String> = comments::table
            .filter(comments::id.eq_any([answered, lonely]))
            .select(comments::body_raw)
            .load(&mut conn)
            .unwrap();
        assert_eq!(texts, vec![String::new(), String::new()]);
    }
    // The vote still counts, naming no one.
    assert_eq!((thread["comments"][1]["id"].as_i64(), thread["comments"][1]["score"].as_i64()), (Some(bobs), Some(1)));
    // Gone from the newsletter, the profile and the sign-in; the username stays reserved.
    assert_eq!(subscriber_status(&app, "ada@example.com").as_deref(), Some("unsubscribed"));
    assert_eq!(app.client().get("/users/ada").await.status, StatusCode::NOT_FOUND);
    for login in ["ada", "ada@example.com"] {
        let mut again = app.client();
        again.fetch_csrf().await;
        let refused = again.api_post("/api/v1/session", json!({"login": login, "password": PASSWORD})).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{login}");
    }
    let mut newcomer = app.client();
    newcomer.fetch_csrf().await;
    let taken = newcomer
        .api_post("/api/v1/accounts", json!({"username": "ada", "email": "other@example.com", "password": PASSWORD}))
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    // The address is free for a new account.
    let reused = newcomer
        .api_post("/api/v1/accounts", json!({"username": "ada2", "email": "ada@example.com", "password": PASSWORD}))
        .await;
    assert!(reused.status.is_success(), "{}", reused.body);
    let mut owner = app.client();
    owner.sign_in("ada@example.com", PASSWORD).await;
    assert_eq!(signed_in_as(&owner).await, "ada2");

    let logged: Vec<_> = log_actions(&app).into_iter().filter(|(action, _)| action == "delete_account").collect();
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].1.as_deref(), Some("1 comment(s) kept as placeholders for their replies, 1 removed"));
    let done = app.client().get("/account/deleted").await;
    done.assert_contains("Your account is deleted");
}

#[tokio::test]
async fn an_admin_account_is_not_deleted_from_the_account_page() {
    let app = spawn().await;
    let admin = app.signed_in("chief", Role::Admin).await;
    let refused = account_form(&admin, "/account/delete", &[("current_password", PASSWORD)]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    refused.assert_contains("Ask another admin");
    assert_eq!(signed_in_as(&admin).await, "chief");
}

#[tokio::test]
async fn an_account_without_a_password_confirms_its_deletion_by_typing_its_username() {
    use crate::sso::{anonymous, claims, spawn_sso, sso, token};
    let app = spawn_sso().await;
    app.article("budget").await;
    let mut reader = anonymous(&app).await;
    let signed = sso(&mut reader, &token(&claims(&app, "pub-7", "grace", "Grace Hopper"))).await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.body);
    let comment = reader.comment("budget", "Grace's comment.").await;

    let page = reader.get("/account").await;
    page.assert_contains("Your name comes from the site you sign in with");
    page.assert_contains("has no password here");
    page.assert_lacks(r#"action="/account/password""#);
    let renamed = account_form(&reader, "/account/name", &[("display_name", "Someone Else")]).await;
    assert_eq!(renamed.status, StatusCode::FORBIDDEN);

    let wrong = account_form(&reader, "/account/delete", &[("confirm", "not-grace")]).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    wrong.assert_contains("Type your username to confirm.");
    let deleted = account_form(&reader, "/account/delete", &[("confirm", "Grace")]).await;
    assert_eq!((deleted.status, deleted.location()), (StatusCode::SEE_OTHER, "/account/deleted"));
    assert_eq!(signed_in_as(&reader).await, Value::Null);
    assert!(
        app.client().thread("budget", "").await.body["comments"].as_array().unwrap().is_empty(),
        "{comment} is gone"
    );

    // The publisher's next sign-in for the same reader makes a fresh account: the old one is
    // not brought back, and its username stays reserved.
    // (A second later: the same claims in the same second would be the same token, refused as
    // a replay.)
    app.advance(chrono::TimeDelta::seconds(1));
    let mut again = anonymous(&app).await;
    let fresh = sso(&mut again, &token(&claims(&app, "pub-7", "grace", "Grace Hopper"))).await;
    assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.body);
    assert_ne!(fresh.body["user"]["username"], "grace");
    let export = again.http.get(again.url("/account/export")).send().await.unwrap().text().await.unwrap();
    assert!(!export.contains("Grace's comment."), "{export}");
}

/// A session is not a licence to guess the password: wrong current passwords on the account
/// page slow down as wrong sign-ins do, without slowing the owner on the sign-in page.
#[tokio::test]
async fn guessing_the_current_password_slows_down_like_signing_in() {
    let app = spawn_with(|s| s.rate_limits = true).await;
    let ada = app.reader("ada").await;
    for guess in ["guess one", "guess two", "guess three", "guess four"] {
        let wrong =
            account_form(&ada, "/account/email", &[("email", "new@example.org"), ("current_password", guess)]).await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "{guess}");
    }
    let waiting =
        account_form(&ada, "/account/email", &[("email", "new@example.org"), ("current_password", PASSWORD)]).await;
    assert_eq!(waiting.status, StatusCode::TOO_MANY_REQUESTS, "even the right password waits");
    assert!(waiting.headers.contains_key("retry-after"));
    let mut laptop = app.client();
    laptop.sign_in("ada", PASSWORD).await;
    assert_eq!(signed_in_as(&laptop).await, "ada", "the owner still signs in");

    app.advance(chrono::TimeDelta::seconds(3));
    let changed =
        account_form(&ada, "/account/email", &[("email", "new@example.org"), ("current_password", PASSWORD)]).await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.text);
    app.deliver().await;
    assert_eq!(app.smtp.to("new@example.org").len(), 1, "the change goes ahead once the wait is over");
}

/// The newsletter follows the account to its new address: it stops going to the address the
/// reader left, and the account page still says they receive it.
#[tokio::test]
async fn a_subscription_moves_with_the_accounts_address() {
    let app = spawn().await;
    let ada = verified_reader(&app, "ada").await;
    let on = account_form(&ada, "/account/newsletter", &[("on", "1")]).await;
    assert_eq!(on.status, StatusCode::SEE_OTHER);
    account_form(&ada, "/account/email", &[("email", "new@example.org"), ("current_password", PASSWORD)]).await;
    app.deliver().await;
    let link = app.smtp.to("new@example.org")[0].link("/account/email/").expect("a change link");
    let confirm = ada.get(&path_of(&link)).await;
    let done = ada.post_form(&path_of(&link), &[("csrf_token", &confirm.csrf())]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    app.deliver().await;

    ada.get("/account").await.assert_contains("You receive the newsletter at new@example.org.");
    use civil::store::schema::subscribers;
    let mut conn = app.app.pool.get().unwrap();
    let rows: Vec<(String, String)> =
        subscribers::table.select((subscribers::email, subscribers::status)).load(&mut conn).unwrap();
    assert_eq!(rows, vec![("new@example.org".to_owned(), "confirmed".to_owned())], "nothing goes to the old address");
}
