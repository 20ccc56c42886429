//! Comment counts for article lists on a publisher's site: `GET /api/v1/counts?url=…`.

use civil::domain::canonical_url::Origin;
use civil::services::{embeds, Actor};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

async fn spawn_embedding() -> TestApp {
    spawn_with(|s| s.embed_origins = vec![Origin::parse("https://news.example.com").unwrap()]).await
}

fn counts_path(urls: &[&str]) -> String {
    let query: Vec<String> = urls.iter().map(|u| format!("url={}", urlencoding::encode(u))).collect();
    format!("/api/v1/counts?{}", query.join("&"))
}

#[tokio::test]
async fn counts_answer_every_url_as_given_in_one_request() {
    let app = spawn_embedding().await;
    let reader = app.reader("ada").await;
    let story = "https://news.example.com/2026/ai-story";
    let quiet = "https://news.example.com/2026/quiet";
    reader.get(&format!("/embed/thread?url={}", urlencoding::encode(story))).await;
    reader.get(&format!("/embed/thread?url={}", urlencoding::encode(quiet))).await;
    let threads = embeds::threads(&app.app, Actor::Operator).await.unwrap();
    let slug = &threads.iter().find(|t| t.canonical_url.as_deref() == Some(story)).unwrap().slug;
    let first = reader.comment(slug, "One.").await;
    reader.reply(slug, first, "Two.").await;
    let gone = reader.comment(slug, "Three, deleted.").await;
    assert_eq!(reader.api_delete(&format!("/api/v1/comments/{gone}")).await.status, StatusCode::NO_CONTENT);

    let spelled = "HTTPS://news.example.com:443/2026/ai-story?utm_source=list#comments";
    let asked =
        [story, spelled, quiet, "https://news.example.com/2026/never-viewed", "https://evil.example/x", "nonsense"];
    let answer = app.client().api_get(&counts_path(&asked)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(
        answer.body,
        json!({"counts": {
            story: 2, spelled: 2, quiet: 0,
            "https://news.example.com/2026/never-viewed": 0, "https://evil.example/x": 0, "nonsense": 0,
        }})
    );
    assert_eq!(answer.headers["cache-control"], "public, max-age=60");
    assert_eq!(embeds::threads(&app.app, Actor::Operator).await.unwrap().len(), 2, "counting creates nothing");

    let none = app.client().api_get("/api/v1/counts").await;
    assert_eq!(none.body, json!({"counts": {}}));
}

#[tokio::test]
async fn at_most_a_hundred_urls_at_once() {
    let app = spawn_embedding().await;
    let urls: Vec<String> = (0..101).map(|n| format!("https://news.example.com/story-{n}")).collect();
    let refs: Vec<&str> = urls.iter().map(String::as_str).collect();
    let too_many = app.client().api_get(&counts_path(&refs)).await;
    assert_eq!(too_many.status, StatusCode::BAD_REQUEST);
    assert_eq!(too_many.error_code(), "bad_request");
    assert!(too_many.body["error"]["message"].as_str().unwrap().contains("at most 100"));
    let hundred = app.client().api_get(&counts_path(&refs[..100])).await;
    assert_eq!(hundred.status, StatusCode::OK);
    assert_eq!(hundred.body["counts"].as_object().unwrap().len(), 100);
}

#[tokio::test]
async fn scripts_on_allowed_sites_may_read_counts_and_count_js_is_served() {
    let app = spawn_embedding().await;
    let client = app.client();
    let path = counts_path(&["https://news.example.com/a"]);
    let allowed = client.http.get(client.url(&path)).header("Origin", "https://news.example.com").send().await.unwrap();
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://news.example.com");
    let other = client.http.get(client.url(&path)).header("Origin", "https://evil.example").send().await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());

    let script = client.get("/assets/count.js").await;
    assert_eq!(script.status, StatusCode::OK);
    assert!(script.headers["content-type"].to_str().unwrap().starts_with("text/javascript"));
    script.assert_contains("data-civil-count");
    script.assert_contains("/api/v1/counts?");
    assert!(script.text.len() < 10_000);
}
