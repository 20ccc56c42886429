//! Links that expire, tested by moving the app's clock past their lifetime.

use chrono::Duration;
use civil::domain::role::Role;
use reqwest::StatusCode;

use crate::helpers::*;

/// The path of a link in an e-mail, for the test client (which knows the host).
fn path_of(link: &str) -> String {
    let after_scheme = link.split_once("://").map_or(link, |(_, rest)| rest);
    after_scheme.find('/').map_or("/".to_owned(), |i| after_scheme[i..].to_owned())
}

#[tokio::test]
async fn a_verification_link_works_for_48_hours_and_not_after() {
    let app = spawn().await;
    let client = app.reader("ada").await;
    app.deliver().await;
    let link = app.smtp.to("ada@example.com")[0].link("/account/verify/").expect("verification link");
    let verify = path_of(&link);

    app.advance(Duration::hours(47));
    assert_eq!(client.get(&verify).await.status, StatusCode::OK, "still good after 47 hours");
    app.advance(Duration::hours(2));
    let late = client.get(&verify).await;
    assert_eq!(late.status, StatusCode::NOT_FOUND);
    late.assert_contains("not valid");
    let token = client.get("/").await.csrf();
    assert_eq!(client.post_form(&verify, &[("csrf_token", &token)]).await.status, StatusCode::NOT_FOUND);
    let ada = civil::services::accounts::find_by_username(&app.app, "ada").await.unwrap();
    let (verified, _) = civil::services::accounts::email_status(&app.app, ada.id).await.unwrap();
    assert!(!verified, "an expired link verifies nothing");
}

#[tokio::test]
async fn a_password_reset_link_works_for_an_hour_and_not_after() {
    let app = spawn().await;
    app.create_user("ada", Role::Reader).await;
    let anon = app.client();
    let asked = anon.submit("/password/forgot", "/password/forgot", &[("email", "ada@example.com")]).await;
    assert_eq!(asked.status, StatusCode::OK);
    app.deliver().await;
    let link = app.smtp.to("ada@example.com").last().unwrap().link("/password/reset/").expect("reset link");
    let reset = path_of(&link);

    app.advance(Duration::minutes(59));
    let form = anon.get(&reset).await;
    assert_eq!(form.status, StatusCode::OK, "still good after 59 minutes");
    app.advance(Duration::minutes(2));
    assert_eq!(anon.get(&reset).await.status, StatusCode::NOT_FOUND);
    let late = anon.post_form(&reset, &[("csrf_token", &form.csrf()), ("password", "a brand new passphrase")]).await;
    assert_eq!(late.status, StatusCode::NOT_FOUND, "{}", late.text);
    let mut old = app.client();
    old.sign_in("ada", PASSWORD).await;
}
