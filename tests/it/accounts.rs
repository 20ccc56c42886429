use civil::domain::role::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn a_reader_registers_through_the_form_and_lands_back_on_the_article() {
    let app = spawn().await;
    app.article("budget").await;
    let client = app.client();
    let form = client.get("/register?next=%2Farticles%2Fbudget%23comment-form").await;
    assert_eq!(form.status, StatusCode::OK);
    let token = form.csrf();
    let done = client
        .post_form(
            "/register?next=%2Farticles%2Fbudget%23comment-form",
            &[
                ("csrf_token", &token),
                ("username", "Ada"),
                ("email", "ada@example.com"),
                ("password", PASSWORD),
                ("display_name", "Ada L."),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    assert_eq!(done.location(), "/articles/budget#comment-form");
    let cookie = done.headers.get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(cookie.starts_with("civil_session="));
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "no Secure flag on plain http: {cookie}");
    let article = client.get("/articles/budget").await;
    article.assert_contains("Leave a Comment");
    article.assert_contains("Ada L.");
}

#[tokio::test]
async fn cookies_are_secure_behind_https() {
    let app = spawn_with(|s| s.base_url = "https://news.example".into()).await;
    app.create_user("ada", Role::Reader).await;
    let client = app.client();
    let page = client.get("/signin").await;
    let token = page.csrf();
    let done = client.post_form("/signin", &[("csrf_token", &token), ("login", "ada"), ("password", PASSWORD)]).await;
    let cookie = done.headers.get("set-cookie").unwrap().to_str().unwrap();
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn registration_refuses_bad_input_with_clear_messages_and_keeps_the_draft() {
    let app = spawn().await;
    app.create_user("taken", Role::Reader).await;
    let client = app.client();
    let cases: &[(&str, &str, &str, StatusCode, &str)] = &[
        ("TAKEN", "new@example.com", PASSWORD, StatusCode::CONFLICT, "That username is taken"),
        ("fresh", "new@example.com", "short", StatusCode::UNPROCESSABLE_ENTITY, "at least 10 characters"),
        ("fresh", "new@example.com", "qwertyuiop", StatusCode::UNPROCESSABLE_ENTITY, "most common"),
        ("fresh", "not-an-email", PASSWORD, StatusCode::UNPROCESSABLE_ENTITY, "email address like"),
        ("a b", "new@example.com", PASSWORD, StatusCode::UNPROCESSABLE_ENTITY, "only letters"),
        ("fuckface", "new@example.com", PASSWORD, StatusCode::UNPROCESSABLE_ENTITY, "not allowed"),
        ("admin", "new@example.com", PASSWORD, StatusCode::UNPROCESSABLE_ENTITY, "reserved"),
    ];
    for (username, email, password, status, message) in cases {
        let token = client.get("/register").await.csrf();
        let page = client
            .post_form(
                "/register",
                &[("csrf_token", &token), ("username", username), ("email", email), ("password", password)],
            )
            .await;
        assert_eq!(page.status, *status, "{username} {email} {password}");
        page.assert_contains(message);
        page.assert_contains(&format!(r#"value="{}""#, email));
        page.assert_lacks(&format!(r#"value="{}""#, password));
    }
    let too_long = "x".repeat(1025);
    let token = client.get("/register").await.csrf();
    let page = client
        .post_form(
            "/register",
            &[("csrf_token", &token), ("username", "fresh"), ("email", "n@example.com"), ("password", &too_long)],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("at most 1024 characters");
}

#[tokio::test]
async fn passwords_accept_any_unicode_and_are_not_truncated() {
    let app = spawn().await;
    let mut client = app.client();
    client.fetch_csrf().await;
    let password = "ünïcødé 密码 🎉 with spaces ".repeat(20);
    let created = client
        .api_post("/api/v1/accounts", json!({"username": "uni", "email": "u@example.com", "password": password}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let mut other = app.client();
    other.fetch_csrf().await;
    let truncated: String = password.chars().take(password.chars().count() - 1).collect();
    let wrong = other.api_post("/api/v1/session", json!({"login": "uni", "password": truncated})).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    other.sign_in("uni", &password).await;
}

#[tokio::test]
async fn sign_in_accepts_username_or_email_and_fails_the_same_way_either_way() {
    let app = spawn().await;
    app.create_user("ada", Role::Reader).await;
    let mut client = app.client();
    client.sign_in("ADA", PASSWORD).await;
    let mut client = app.client();
    client.sign_in("Ada@Example.com", PASSWORD).await;

    let client = app.client();
    let wrong_password =
        client.submit("/signin", "/signin", &[("login", "ada"), ("password", "not the password")]).await;
    let no_account =
        client.submit("/signin", "/signin", &[("login", "nobody"), ("password", "not the password")]).await;
    assert_eq!(wrong_password.status, StatusCode::UNAUTHORIZED);
    assert_eq!(no_account.status, StatusCode::UNAUTHORIZED);
    wrong_password.assert_contains("That username or password is not right.");
    no_account.assert_contains("That username or password is not right.");
    no_account.assert_contains(r#"value="nobody""#);
}

#[tokio::test]
async fn sign_in_rotates_the_session_and_sign_out_ends_it_in_the_database() {
    let app = spawn().await;
    app.create_user("ada", Role::Reader).await;
    let client = app.client();
    let first = client.submit("/signin", "/signin", &[("login", "ada"), ("password", PASSWORD)]).await;
    let first_cookie = first.headers.get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_owned();
    let second = client.submit("/", "/signin", &[("login", "ada"), ("password", PASSWORD)]).await;
    let second_cookie =
        second.headers.get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_owned();
    assert_ne!(first_cookie, second_cookie, "a new token at every sign-in");

    // The first token no longer works: it was replaced.
    let raw = reqwest::Client::new();
    let with_first =
        raw.get(format!("{}/api/v1/session", app.address)).header("cookie", &first_cookie).send().await.unwrap();
    assert!(with_first.json::<serde_json::Value>().await.unwrap()["user"].is_null());
    let with_second =
        raw.get(format!("{}/api/v1/session", app.address)).header("cookie", &second_cookie).send().await.unwrap();
    assert_eq!(with_second.json::<serde_json::Value>().await.unwrap()["user"]["username"], "ada");

    let out = client.submit("/", "/signout", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let after =
        raw.get(format!("{}/api/v1/session", app.address)).header("cookie", &second_cookie).send().await.unwrap();
    assert!(after.json::<serde_json::Value>().await.unwrap()["user"].is_null(), "the session ended in the database");
}

#[tokio::test]
async fn forms_without_a_csrf_token_are_refused() {
    let app = spawn().await;
    app.article("budget").await;
    let reader = app.reader("ada").await;
    for (path, form) in [
        ("/signout", vec![]),
        ("/articles/budget/comments", vec![("body", "hello")]),
        ("/register", vec![("username", "bob"), ("email", "b@example.com"), ("password", PASSWORD)]),
    ] {
        let page = reader.post_form(path, &form).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        let forged = {
            let mut f = form.clone();
            f.push(("csrf_token", "forged"));
            reader.post_form(path, &f).await
        };
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "{path} with a forged token");
    }
    // The comment draft survived the refusal.
    let page = reader.post_form("/articles/budget/comments", &[("body", "my careful draft")]).await;
    page.assert_contains("my careful draft");
    page.assert_contains("This form has expired");
}

#[tokio::test]
async fn the_setup_link_creates_the_first_admin_once() {
    let app = spawn().await;
    let token = civil::services::accounts::issue_setup_token(&app.app).await.unwrap().expect("no admin yet");
    let client = app.client();
    let bad = client.get("/setup?token=forged").await;
    assert_eq!(bad.status, StatusCode::NOT_FOUND);
    let form = client.get(&format!("/setup?token={token}")).await;
    assert_eq!(form.status, StatusCode::OK);
    form.assert_contains("Create the first admin account");
    let done = client
        .post_form(
            "/setup",
            &[
                ("csrf_token", &form.csrf()),
                ("token", &token),
                ("username", "chief"),
                ("email", "ed@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    assert_eq!(done.location(), "/admin");
    assert_eq!(client.get("/admin").await.status, StatusCode::OK);
    // Once an admin exists the link is dead, and no new one is issued.
    assert_eq!(app.client().get(&format!("/setup?token={token}")).await.status, StatusCode::NOT_FOUND);
    assert!(civil::services::accounts::issue_setup_token(&app.app).await.unwrap().is_none());
}

#[tokio::test]
async fn admins_change_roles_in_the_ui_and_readers_cannot() {
    let app = spawn().await;
    let admin = app.signed_in("chief", Role::Admin).await;
    let reader = app.reader("ada").await;
    assert_eq!(reader.get("/admin/users").await.status, StatusCode::FORBIDDEN);
    let refused = reader.submit("/", "/admin/users/ada/role", &[("role", "admin")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let page = admin.get("/admin/users").await;
    page.assert_contains("ada@example.com");
    let done = admin.submit("/admin/users", "/admin/users/ada/role", &[("role", "moderator")]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    let profile = app.client().get("/users/ada").await;
    profile.assert_contains("moderator");
    let log = admin.api_get("/api/v1/moderation/log?action=set_role").await;
    assert_eq!(log.body["entries"][0]["target_user"], "ada", "{}", log.body);
    assert_eq!(log.body["entries"][0]["reason"], "moderator");
    // Nobody changes their own role or an equal's.
    let own = admin.submit("/admin/users", "/admin/users/chief/role", &[("role", "reader")]).await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);
    own.assert_contains("your own role");
}

/// A deleted account is gone from the admins' list of accounts, and no role can be given to it.
#[tokio::test]
async fn deleted_accounts_leave_the_admins_list_and_take_no_role() {
    let app = spawn().await;
    let admin = app.signed_in("chief", Role::Admin).await;
    let ada = app.reader("ada").await;
    app.reader("bea").await;
    let deleted = ada.submit("/account", "/account/delete", &[("current_password", PASSWORD)]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.text);

    let page = admin.get("/admin/users").await;
    page.assert_contains("bea@example.com");
    page.assert_lacks(r#"action="/admin/users/ada/role""#);
    let promoted = admin.submit("/admin/users", "/admin/users/ada/role", &[("role", "moderator")]).await;
    assert_eq!(promoted.status, StatusCode::NOT_FOUND, "{}", promoted.text);
}

#[tokio::test]
async fn the_profile_lists_published_comments_newest_first() {
    let app = spawn().await;
    app.article("budget").await;
    let reader = app.reader("ada").await;
    let first = reader.comment("budget", "The first thought").await;
    let second = reader.comment("budget", "The second thought").await;
    let gone = reader.comment("budget", "A thought taken back").await;
    assert_eq!(reader.api_delete(&format!("/api/v1/comments/{gone}")).await.status, StatusCode::NO_CONTENT);
    let page = app.client().get("/users/ADA").await;
    assert_eq!(page.status, StatusCode::OK);
    let (a, b) = (page.text.find("The second thought").unwrap(), page.text.find("The first thought").unwrap());
    assert!(a < b, "newest first");
    page.assert_lacks("A thought taken back");
    page.assert_contains(&format!("/comments/{first}"));
    page.assert_contains(&format!("/comments/{second}"));
    assert_eq!(app.client().get("/users/nobody").await.status, StatusCode::NOT_FOUND);
}
