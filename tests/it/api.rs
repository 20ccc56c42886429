use civil::domain::role::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn the_session_endpoint_carries_the_csrf_token() {
    let app = spawn().await;
    app.create_user("ada", Role::Reader).await;
    let mut client = app.client();
    let anonymous = client.api_get("/api/v1/session").await;
    assert!(anonymous.body["user"].is_null());
    let anon_token = anonymous.body["csrf_token"].as_str().unwrap().to_owned();
    let set_cookie = anonymous.headers.get("set-cookie").unwrap().to_str().unwrap();
    assert!(set_cookie.starts_with("civil_csrf=") && set_cookie.contains("HttpOnly"));

    // Signing in needs the token too.
    let without = client.api_post("/api/v1/session", json!({"login": "ada", "password": PASSWORD})).await;
    assert_eq!(without.status, StatusCode::FORBIDDEN);
    assert_eq!(without.error_code(), "csrf");
    client.csrf = Some(anon_token);
    let signed_in = client.api_post("/api/v1/session", json!({"login": "ada", "password": PASSWORD})).await;
    assert_eq!(signed_in.status, StatusCode::OK);
    assert_eq!(signed_in.body["user"]["username"], "ada");
    assert_eq!(signed_in.body["user"]["role"], "reader");
    let token = signed_in.body["csrf_token"].as_str().unwrap().to_owned();
    assert_eq!(client.api_get("/api/v1/session").await.body["csrf_token"], token.as_str());

    client.csrf = Some("wrong".into());
    assert_eq!(client.api_delete("/api/v1/session").await.status, StatusCode::FORBIDDEN);
    client.csrf = Some(token);
    assert_eq!(client.api_delete("/api/v1/session").await.status, StatusCode::NO_CONTENT);
    assert!(client.api_get("/api/v1/session").await.body["user"].is_null());
}

#[tokio::test]
async fn wrong_credentials_get_the_same_answer() {
    let app = spawn().await;
    app.create_user("ada", Role::Reader).await;
    let mut client = app.client();
    client.fetch_csrf().await;
    let wrong = client.api_post("/api/v1/session", json!({"login": "ada", "password": "not the password"})).await;
    let unknown = client.api_post("/api/v1/session", json!({"login": "nobody", "password": "not the password"})).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.error_code(), "invalid_credentials");
}

#[tokio::test]
async fn accounts_are_created_through_the_api() {
    let app = spawn().await;
    let mut client = app.client();
    client.fetch_csrf().await;
    let created = client
        .api_post(
            "/api/v1/accounts",
            json!({"username": "ada", "email": "ada@example.com", "password": PASSWORD, "display_name": "Ada"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["user"]["display_name"], "Ada");
    client.csrf = created.body["csrf_token"].as_str().map(str::to_owned);
    assert_eq!(client.api_get("/api/v1/session").await.body["user"]["username"], "ada");
    let mut other = app.client();
    other.fetch_csrf().await;
    let taken = other
        .api_post("/api/v1/accounts", json!({"username": "ADA", "email": "x@example.com", "password": PASSWORD}))
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert_eq!(taken.body["error"]["field"], "username");
    let weak = other
        .api_post("/api/v1/accounts", json!({"username": "bob", "email": "b@example.com", "password": "short"}))
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.body["error"]["message"].as_str().unwrap().contains("at least 10"));
}

#[tokio::test]
async fn request_bodies_must_be_json_without_unknown_fields() {
    let app = spawn().await;
    app.article("budget").await;
    let ada = app.reader("ada").await;
    let unknown = ada.api_post("/api/v1/articles/budget/comments", json!({"body": "hi", "sticky": true})).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(unknown.body["error"]["message"].as_str().unwrap().contains("sticky"), "{}", unknown.body);

    let form_encoded = ada
        .http
        .post(ada.url("/api/v1/articles/budget/comments"))
        .header("X-CSRF-Token", ada.csrf.clone().unwrap())
        .form(&[("body", "hi")])
        .send()
        .await
        .unwrap();
    assert_eq!(form_encoded.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let body: serde_json::Value = form_encoded.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unsupported_media_type");

    let mut no_csrf = ada;
    no_csrf.csrf = None;
    let refused = no_csrf.try_comment("budget", "hi", None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.error_code(), "csrf");
}

#[tokio::test]
async fn a_posted_comment_comes_back_whole() {
    let app = spawn().await;
    app.article("budget").await;
    let ada = app.reader("ada").await;
    let created = ada.try_comment("budget", "Hello *there*", None).await;
    assert_eq!(created.status, StatusCode::CREATED);
    for field in ["id", "parent_id", "author", "body_html", "status", "score", "created_at", "edited_at", "replies"] {
        assert!(created.body.get(field).is_some(), "missing {field}: {}", created.body);
    }
    assert_eq!(created.body["author"]["username"], "ada");
    assert_eq!(created.body["status"], "published");
    assert_eq!(created.body["body_html"], "<p>Hello <em>there</em></p>\n");
    assert!(created.body["created_at"].as_str().unwrap().ends_with('Z'));
    let id = created.body["id"].as_i64().unwrap();
    assert_eq!(created.headers.get("location").unwrap(), &format!("/comments/{id}"));
    let article = app.client().api_get("/api/v1/articles/budget").await;
    assert_eq!(article.body["comment_count"], 1);
}

#[tokio::test]
async fn the_openapi_document_describes_the_api() {
    let app = spawn().await;
    let doc = app.client().api_get("/api/v1/openapi.json").await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/accounts",
        "/api/v1/session",
        "/api/v1/articles",
        "/api/v1/articles/{slug}",
        "/api/v1/articles/{slug}/comments",
        "/api/v1/comments/{id}",
        "/api/v1/comments/{id}/vote",
    ] {
        assert!(doc.body["paths"].get(path).is_some(), "{path} is documented");
    }
    assert!(doc.body["components"]["schemas"].get("CommentJson").is_some());
}
