//! Two instances on one database: what one writes, the other shows at once, cache included.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn two_instances_share_one_database_and_their_caches_stay_correct() {
    let first = spawn().await;
    let second = spawn_on(first.db.clone(), |_| {}).await;
    first.article("budget").await;
    let ada = first.reader("ada").await;
    let anon_on_second = second.client();

    // Warm the second instance's cache of the empty thread.
    anon_on_second.get("/articles/budget").await.assert_contains("Be the first to comment.");
    anon_on_second.get("/articles/budget").await.assert_contains("Be the first to comment.");

    let id = ada.comment("budget", "Posted through the first instance").await;
    let page = anon_on_second.get("/articles/budget").await;
    page.assert_contains("Posted through the first instance");
    page.assert_contains("Discussion (1)");

    let edited =
        ada.api_patch(&format!("/api/v1/comments/{id}"), json!({"body": "Edited through the first instance"})).await;
    assert_eq!(edited.status, StatusCode::OK);
    let page = anon_on_second.get("/articles/budget").await;
    page.assert_contains("Edited through the first instance");
    page.assert_lacks("Posted through the first instance");

    assert_eq!(ada.api_delete(&format!("/api/v1/comments/{id}")).await.status, StatusCode::NO_CONTENT);
    let page = anon_on_second.get("/articles/budget").await;
    page.assert_lacks("Edited through the first instance");
    page.assert_contains("Be the first to comment.");
    assert_eq!(anon_on_second.thread("budget", "").await.body["total"], 0);

    // A session made on one instance works on the other: sessions live in the database.
    let mut on_second = second.client();
    on_second.sign_in("ada", PASSWORD).await;
    assert_eq!(on_second.api_get("/api/v1/session").await.body["user"]["username"], "ada");
}
