//! The preview endpoint (`POST /api/v1/preview`) and what the author of a held comment is told.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{spawn, spawn_with};
use civil::domain::moderation::Premoderation;

#[tokio::test]
async fn the_preview_masks_and_renders_exactly_as_the_post_then_does() {
    let app = spawn().await;
    app.article("budget").await;
    let ada = app.reader("ada").await;
    let body = "What a **fucking** mess.\n\n> Matt Hancock and Dick Cheney said so, in `code`";

    let preview = ada.api_post("/api/v1/preview", json!({ "body": body })).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert_eq!(preview.body["masked"], json!(["fucking"]));
    assert_eq!(preview.body["masked_as"], json!(["f******"]));
    assert_eq!(
        preview.body["masked_text"],
        "What a **f******** mess.\n\n> Matt Hancock and Dick Cheney said so, in `code`"
    );
    assert_eq!(preview.body["outcome"], "publish");
    assert_eq!(preview.body["message"], json!(null));
    assert_eq!(preview.body["held"], json!(null));
    let html = preview.body["html"].as_str().unwrap();
    assert!(html.contains("<strong>f******</strong>"), "{html}");
    assert!(html.contains("<blockquote>"), "{html}");

    // Nothing was written: the thread is empty until the reader posts, and then shows the same HTML.
    assert_eq!(app.client().thread("budget", "").await.body["total"], 0);
    let posted = ada.try_comment("budget", body, None).await;
    assert_eq!(posted.status, StatusCode::CREATED);
    assert_eq!(posted.body["body_html"].as_str().unwrap(), html);
}

#[tokio::test]
async fn the_preview_says_what_posting_would_refuse_or_hold() {
    let app = spawn().await;
    app.site_settings(|s| s.words.banned = vec!["gammon".into()]).await;
    // A new account: a link from it is held.
    let ada = app.reader("ada").await;

    let preview = |body: String| {
        let ada = &ada;
        async move { ada.api_post("/api/v1/preview", json!({ "body": body })).await.body }
    };

    let empty = preview("   \n".into()).await;
    assert_eq!(
        (empty["outcome"].as_str(), empty["message"].as_str()),
        (Some("refuse"), Some("Write something before posting."))
    );
    assert_eq!(empty["html"], "");

    let long = preview("word ".repeat(2_001)).await;
    assert_eq!(long["outcome"], "refuse");
    assert!(long["message"].as_str().unwrap().contains("at most 10000 characters"), "{long}");

    let banned = preview("Typical gammon.".into()).await;
    assert_eq!(banned["outcome"], "refuse");
    assert!(banned["message"].as_str().unwrap().contains("does not accept the word “gammon”"), "{banned}");
    assert_eq!(banned["masked"], json!(["gammon"]));

    let link = preview("Read https://example.com/report first.".into()).await;
    assert_eq!(link["outcome"], "hold", "{link}");
    assert_eq!(
        link["held"]["reasons"],
        json!(["It contains a link, and links from new commenters are checked first."])
    );
    assert!(link["held"]["next"].as_str().unwrap().contains("A moderator will read it."));
    assert_eq!(link["html"], "<p>Read https://example.com/report first.</p>\n");

    let slur = preview("You filthy nigger.".into()).await;
    assert_eq!(slur["outcome"], "hold");
    assert_eq!(slur["held"]["reasons"], json!(["It contains words that may be a slur or severe profanity."]));
    assert_eq!(slur["masked_as"], json!(["n*****"]));

    // Previews are not posts: the moderation log, which logs every refusal and hold, has only
    // the change of settings above.
    let moderator = app.signed_in("mod1", civil::domain::role::Role::Moderator).await;
    let log = moderator.api_get("/api/v1/moderation/log").await;
    let actions: Vec<&str> =
        log.body["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["settings"]);
}

#[tokio::test]
async fn previews_need_a_signed_in_reader_and_the_csrf_token() {
    let app = spawn().await;
    let mut anonymous = app.client();
    anonymous.fetch_csrf().await;
    let response = anonymous.api_post("/api/v1/preview", json!({ "body": "hello" })).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{}", response.body);

    let mut ada = app.reader("ada").await;
    ada.csrf = None;
    let response = ada.api_post("/api/v1/preview", json!({ "body": "hello" })).await;
    assert_eq!(response.status, StatusCode::FORBIDDEN, "{}", response.body);
}

#[tokio::test]
async fn previews_are_limited_per_reader_per_minute() {
    let app = spawn_with(|s| s.rate_limits = true).await;
    let ada = app.reader("ada").await;
    let bea = app.reader("bea").await;
    for n in 0..60 {
        let response = ada.api_post("/api/v1/preview", json!({ "body": format!("draft {n}") })).await;
        assert_eq!(response.status, StatusCode::OK, "preview {n}: {}", response.body);
    }
    let refused = ada.api_post("/api/v1/preview", json!({ "body": "one more" })).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.error_code(), "rate_limited");
    assert!(refused.headers.contains_key("retry-after"));
    // Another reader has a count of their own, and the next minute starts afresh.
    assert_eq!(bea.api_post("/api/v1/preview", json!({ "body": "mine" })).await.status, StatusCode::OK);
    app.advance(chrono::TimeDelta::seconds(61));
    assert_eq!(ada.api_post("/api/v1/preview", json!({ "body": "again" })).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_author_of_a_held_comment_reads_why_on_the_page_and_in_the_api() {
    let app = spawn().await;
    app.article("budget").await;
    app.site_settings(|s| s.policy.premoderation = Premoderation::Everyone).await;
    let ada = app.reader("ada").await;
    let why = "Every comment on this site is read by a moderator before it appears.";

    let held = ada.try_comment("budget", "Please read me first.", None).await;
    assert_eq!(held.body["status"], "pending");
    assert_eq!(held.body["held"]["reasons"], json!([why]));
    assert!(held.body["held"]["next"].as_str().unwrap().contains("If they approve it, it appears"));
    let id = held.body["id"].as_i64().unwrap();

    // In the thread, to its author only.
    let mine = ada.thread("budget", "").await;
    assert_eq!(mine.body["comments"][0]["held"]["reasons"], json!([why]));
    let page = ada.get("/articles/budget").await;
    page.assert_contains("Awaiting moderation");
    page.assert_contains("Why it is waiting:");
    page.assert_contains(&format!("<li>{why}</li>"));
    page.assert_contains("Until then only you can see it.");
    let bea = app.reader("bea").await;
    bea.get("/articles/budget").await.assert_lacks(why);
    app.client().get("/articles/budget").await.assert_lacks(why);
    assert_eq!(bea.thread("budget", "").await.body["comments"], json!([]));

    // Posted from the page without JavaScript: the reader lands on it and reads the same.
    let page = ada.submit("/articles/budget", "/articles/budget/comments", &[("body", "And a second one.")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let landed = ada.get(page.location()).await;
    assert_eq!(landed.text.matches(&format!("<li>{why}</li>")).count(), 2);

    // Approved, it is published and the notice goes.
    let moderator = app.signed_in("mod1", civil::domain::role::Role::Moderator).await;
    let approved = moderator.api_post(&format!("/api/v1/moderation/comments/{id}/approve"), json!({})).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    let mine = ada.thread("budget", "").await;
    let first = &mine.body["comments"][0];
    assert_eq!((first["status"].as_str(), &first["held"]), (Some("published"), &json!(null)));
}
