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

/// Instances start their workers together, and a worker's delivery loop and heartbeat beat at
/// once: however many beat at the same moment, none fails (on PostgreSQL a new worker's first
/// beats raced to insert its row: "duplicate key value violates unique constraint workers_pkey").
#[tokio::test]
async fn workers_beating_at_the_same_moment_never_fail() {
    let app = spawn().await;
    for round in 0..10 {
        let worker = format!("racing-worker-{round}");
        let start = std::sync::Arc::new(std::sync::Barrier::new(6));
        let beats: Vec<_> = (0..6)
            .map(|_| {
                let (pool, worker, start, now) =
                    (app.app.pool.clone(), worker.clone(), start.clone(), app.app.clock.now());
                std::thread::spawn(move || {
                    let mut conn = pool.get().expect("a connection");
                    start.wait();
                    civil::store::outbox::heartbeat(&mut conn, &worker, now).map_err(|e| e.to_string())
                })
            })
            .collect();
        for beat in beats {
            assert_eq!(beat.join().unwrap(), Ok(1), "round {round}");
        }
    }
}
