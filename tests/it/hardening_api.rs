//! What schemathesis found in the JSON API (scripts/schemathesis), each pinned by a test, and the
//! promises of the OpenAPI document that it relies on.

use civil::domain::role::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

async fn document(client: &Client) -> Value {
    let doc = client.api_get("/api/v1/openapi.json").await;
    assert_eq!(doc.status, StatusCode::OK);
    doc.body
}

/// Send a raw body with the client's CSRF token and cookies.
async fn post_raw(client: &Client, path: &str, content_type: Option<&str>, body: &'static str) -> Json {
    let mut request = client.http.post(client.url(path)).header("X-CSRF-Token", client.csrf.clone().unwrap());
    if let Some(content_type) = content_type {
        request = request.header("Content-Type", content_type);
    }
    let response = request.body(body).send().await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let text = response.text().await.unwrap();
    Json { status, headers, body: serde_json::from_str(&text).unwrap_or(Value::String(text)) }
}

#[tokio::test]
async fn a_method_an_endpoint_does_not_have_gets_405_with_the_methods_it_has() {
    let app = spawn().await;
    let client = app.client();
    let put = client.http.put(client.url("/api/v1/comments/1")).send().await.unwrap();
    assert_eq!(put.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(put.headers()["allow"], "DELETE, PATCH");
    let body: Value = put.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");

    let get = client.http.get(client.url("/api/v1/moderation/comments/3/approve")).send().await.unwrap();
    assert_eq!((get.status(), get.headers()["allow"].to_str().unwrap()), (StatusCode::METHOD_NOT_ALLOWED, "POST"));
    let delete = client.http.delete(client.url("/api/v1/openapi.json")).send().await.unwrap();
    assert_eq!((delete.status(), delete.headers()["allow"].to_str().unwrap()), (StatusCode::METHOD_NOT_ALLOWED, "GET"));

    // An address no endpoint has is still 404.
    let nowhere = client.api_get("/api/v1/comments/1/nothing").await;
    assert_eq!((nowhere.status, nowhere.error_code()), (StatusCode::NOT_FOUND, "not_found"));
}

#[tokio::test]
async fn a_whole_number_written_with_a_decimal_point_is_an_integer() {
    let app = spawn().await;
    app.article("vote").await;
    let author = app.reader("author").await;
    let id = author.comment("vote", "Worth a vote.").await;
    let voter = app.reader("voter").await;

    let up = voter.api_post(&format!("/api/v1/comments/{id}/vote"), json!({"value": 1.0})).await;
    assert_eq!(up.status, StatusCode::OK, "{}", up.body);
    assert_eq!(up.body["score"], 1);
    let reply = voter.try_comment("vote", "A reply.", None).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let nested =
        voter.api_post("/api/v1/articles/vote/comments", json!({"body": "Nested.", "parent_id": id as f64})).await;
    assert_eq!(nested.status, StatusCode::CREATED, "{}", nested.body);
    assert_eq!(nested.body["parent_id"], id);

    // A fraction is still not a vote.
    let half = voter.api_post(&format!("/api/v1/comments/{id}/vote"), json!({"value": 0.5})).await;
    assert_eq!((half.status, half.error_code()), (StatusCode::BAD_REQUEST, "bad_request"));
}

#[tokio::test]
async fn moderation_fields_are_checked_whatever_the_action() {
    let app = spawn().await;
    app.article("checked").await;
    let reader = app.reader("reader").await;
    let comment = reader.comment("checked", "Fine words.").await;
    let admin = app.signed_in("boss", Role::Admin).await;
    let user = civil::services::accounts::find_by_username(&app.app, "reader").await.unwrap().id;

    let unban = admin.api_post(&format!("/api/v1/moderation/users/{user}/unban"), json!({"days": 0})).await;
    assert_eq!((unban.status, unban.body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("days")));
    let long = "x".repeat(501);
    let review = admin.api_post(&format!("/api/v1/moderation/users/{user}/review"), json!({"reason": long})).await;
    assert_eq!(review.status, StatusCode::UNPROCESSABLE_ENTITY);
    let approve =
        admin.api_post(&format!("/api/v1/moderation/comments/{comment}/approve"), json!({"reason": "bogus"})).await;
    assert_eq!(
        (approve.status, approve.body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reason"))
    );

    // Fields that fit are fine where the action does not use them.
    let fine = admin.api_post(&format!("/api/v1/moderation/users/{user}/unban"), json!({"days": 3})).await;
    assert_eq!(fine.status, StatusCode::OK, "{}", fine.body);
    let fine =
        admin.api_post(&format!("/api/v1/moderation/comments/{comment}/approve"), json!({"reason": "spam"})).await;
    assert_eq!(fine.status, StatusCode::OK, "{}", fine.body);
}

#[tokio::test]
async fn an_optional_body_that_is_sent_must_be_json() {
    let app = spawn().await;
    app.article("optional").await;
    let reader = app.reader("reader").await;
    let comment = reader.comment("optional", "Fine words.").await;
    let admin = app.signed_in("boss", Role::Admin).await;
    let path = format!("/api/v1/moderation/comments/{comment}/approve");

    let garbage = post_raw(&admin, &path, Some("application/json"), "not json").await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST, "{}", garbage.body);
    let wrong_kind = post_raw(&admin, &path, Some("text/plain"), "{}").await;
    assert_eq!(wrong_kind.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", wrong_kind.body);
    let not_an_object = post_raw(&admin, &path, Some("application/json"), "[]").await;
    assert_eq!(not_an_object.status, StatusCode::BAD_REQUEST, "{}", not_an_object.body);

    let none = post_raw(&admin, &path, None, "").await;
    assert_eq!(none.status, StatusCode::OK, "{}", none.body);
    assert_eq!(none.body["done"], 1);
}

#[tokio::test]
async fn an_admin_is_told_a_draft_takes_no_comments_yet() {
    let app = spawn().await;
    let admin = app.signed_in("boss", Role::Admin).await;
    let draft = admin
        .api_post(
            "/api/v1/articles",
            json!({"slug": "draft", "title": "Draft", "body": "Not yet.", "author_name": "Jo", "published": false}),
        )
        .await;
    assert_eq!(draft.status, StatusCode::CREATED);
    // The admin sees the draft, so it is not missing: it is not open yet.
    assert_eq!(admin.api_get("/api/v1/articles/draft").await.status, StatusCode::OK);
    let posted = admin.try_comment("draft", "First!", None).await;
    assert_eq!((posted.status, posted.error_code()), (StatusCode::CONFLICT, "conflict"));
    assert!(posted.body["error"]["message"].as_str().unwrap().contains("draft"));

    // To anyone else there is no such article.
    let reader = app.reader("reader").await;
    assert_eq!(reader.try_comment("draft", "First!", None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_document_puts_query_parameters_in_the_query_with_their_bounds() {
    let app = spawn().await;
    let doc = document(&app.client()).await;
    let params = doc["paths"]["/api/v1/articles/{slug}/comments"]["get"]["parameters"].as_array().unwrap().clone();
    let param = |name: &str| params.iter().find(|p| p["name"] == name).unwrap_or_else(|| panic!("{name}")).clone();
    for name in ["sort", "after", "limit"] {
        assert_eq!(param(name)["in"], "query", "{name}");
        assert_ne!(param(name)["required"], true, "{name}");
    }
    assert_eq!(param("limit")["schema"]["minimum"], 1.0);
    assert_eq!(param("limit")["schema"]["maximum"], 200.0);
    assert_eq!(param("sort")["schema"]["enum"], json!(["", "oldest", "newest", "top"]));
    for query_path in ["/api/v1/moderation/queue", "/api/v1/moderation/log"] {
        for p in doc["paths"][query_path]["get"]["parameters"].as_array().unwrap() {
            assert_eq!(p["in"], "query", "{query_path} {}", p["name"]);
        }
    }
}

/// Every status the API gives is in the document, with the error body: the statuses no single
/// endpoint decides (400 for malformed input, 413 and 415 for bodies, 401 without a session,
/// 403 without the CSRF token, 503 without a database) on every operation they can come from.
#[tokio::test]
async fn every_operation_documents_the_answers_it_can_give() {
    let app = spawn().await;
    let doc = document(&app.client()).await;
    let responses = &doc["components"]["responses"];
    let mut checked = 0;
    let mut operation_ids = std::collections::HashSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let answers = operation["responses"].as_object().unwrap();
            let has = |status: &str| answers.contains_key(status);
            let label = format!("{method} {path}");
            assert!(has("400") && has("503"), "{label}");
            if operation.get("requestBody").is_some() {
                assert!(has("413") && has("415"), "{label}");
            }
            let requirements = operation["security"].as_array().cloned().unwrap_or_default();
            let needs_session = !requirements.is_empty() && !requirements.contains(&json!({}));
            // Signing in, with a password or a single sign-on token, can be refused with a 401 too.
            let signs_in = ["/api/v1/session", "/api/v1/sso"].contains(&path.as_str()) && method == "post";
            assert_eq!(has("401"), needs_session || signs_in, "{label}");
            let csrf = operation["parameters"].as_array().into_iter().flatten().any(|p| p["name"] == "X-CSRF-Token");
            assert_eq!(csrf, method != "get", "{label}: unsafe methods, and only they, need the CSRF header");
            if csrf {
                assert!(has("403"), "{label}");
            }
            for (status, answer) in answers {
                let answer = match answer["$ref"].as_str() {
                    Some(reference) => &responses[reference.rsplit('/').next().unwrap()],
                    None => answer,
                };
                if status.starts_with('4') || status.starts_with('5') {
                    assert_eq!(
                        answer["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ErrorBody",
                        "{label} {status}"
                    );
                }
                assert!(answer["description"].as_str().is_some_and(|d| !d.is_empty()), "{label} {status}");
                assert_eq!(
                    answer["headers"]["X-Content-Type-Options"]["$ref"], "#/components/headers/X-Content-Type-Options",
                    "{label} {status}"
                );
            }
            let id = operation["operationId"].as_str().unwrap_or_else(|| panic!("{label} has no operationId"));
            assert!(operation_ids.insert(id.to_owned()), "{label}: operationId {id} is not unique");
            checked += 1;
        }
    }
    assert_eq!(checked, 22);
    assert_eq!(responses["RateLimited"]["headers"]["Retry-After"]["required"], true);
    assert_eq!(doc["components"]["headers"]["X-Content-Type-Options"]["required"], true);
    let post_comment = &doc["paths"]["/api/v1/articles/{slug}/comments"]["post"]["responses"];
    assert_eq!(post_comment["429"]["$ref"], "#/components/responses/RateLimited");
    assert_eq!(post_comment["201"]["headers"]["Location"]["required"], true);
    for link in post_comment["201"]["links"].as_object().unwrap().values() {
        assert!(operation_ids.contains(link["operationId"].as_str().unwrap()), "{link}");
    }
}

/// The answers the document promises are the ones the server gives.
#[tokio::test]
async fn the_documented_answers_are_the_ones_given() {
    let app = spawn().await;
    app.article("given").await;
    let mut anonymous = app.client();
    // Signed out: 401 where the document names the session scheme.
    anonymous.fetch_csrf().await;
    let flag = anonymous.api_post("/api/v1/comments/1/flags", json!({"reason": "spam"})).await;
    assert_eq!((flag.status, flag.error_code()), (StatusCode::UNAUTHORIZED, "unauthenticated"));
    let queue = anonymous.api_get("/api/v1/moderation/queue/counts").await;
    assert_eq!(queue.status, StatusCode::UNAUTHORIZED);

    let reader = app.reader("reader").await;
    // A body that is not JSON: 415; JSON that does not parse: 400.
    let text = post_raw(&reader, "/api/v1/articles/given/comments", Some("text/plain"), "hello").await;
    assert_eq!(
        (text.status, text.body["error"]["code"].as_str()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("unsupported_media_type"))
    );
    let broken = post_raw(&reader, "/api/v1/articles/given/comments", Some("application/json"), "{").await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST);
    let moderator = app.signed_in("mod1", Role::Moderator).await;
    let queue = moderator.api_get("/api/v1/moderation/queue?tab=nonsense").await;
    assert_eq!((queue.status, queue.error_code()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid"));
}

#[tokio::test]
async fn a_body_must_be_a_json_object() {
    let app = spawn().await;
    app.article("objects").await;
    let reader = app.reader("reader").await;
    // serde would read a struct from an array of its fields in order.
    let array =
        post_raw(&reader, "/api/v1/articles/objects/comments", Some("application/json"), r#"["Sneaky.", null]"#).await;
    assert_eq!((array.status, array.body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_request")));
    let thread = reader.thread("objects", "").await;
    assert_eq!(thread.body["total"], 0);

    let object =
        post_raw(&reader, "/api/v1/articles/objects/comments", Some("application/json"), r#"{"body": "Fine."}"#).await;
    assert_eq!(object.status, StatusCode::CREATED);
}
