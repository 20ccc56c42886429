//! The API's thread is made once per version of the discussion and shared (`http::api::shared`):
//! what is personal (upvotes, comments one may still edit, one's own held comments, the staff
//! view) must still reach only its reader, whoever filled the cache, and a write must show on
//! the next read.

use civil::domain::moderation::Premoderation;
use civil::domain::role::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{ids, spawn, Client};

/// The comment with this id in a thread answer, wherever it nests.
fn find(thread: &Value, id: i64) -> Option<Value> {
    fn walk(list: &Value, id: i64) -> Option<Value> {
        list.as_array()?.iter().find_map(|c| {
            if c["id"].as_i64() == Some(id) {
                Some(c.clone())
            } else {
                walk(&c["replies"], id)
            }
        })
    }
    walk(&thread["comments"], id)
}

/// (voted, editable) of every comment in the answer, with its id.
fn flags(thread: &Value) -> Vec<(i64, bool, bool)> {
    ids(&thread["comments"])
        .into_iter()
        .map(|id| {
            let c = find(thread, id).unwrap();
            (id, c["voted"].as_bool().unwrap(), c["editable"].as_bool().unwrap())
        })
        .collect()
}

async fn read(client: &Client, query: &str) -> Value {
    let answer = client.thread("budget", query).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    // A client that takes gzip gets the same answer (for a signed-in reader, joined from
    // parts compressed ahead).
    let zipped = client
        .http
        .get(client.url(&format!("/api/v1/articles/budget/comments{query}")))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(zipped.status(), StatusCode::OK);
    let encoding = zipped.headers().get("content-encoding").map(|v| v.to_str().unwrap().to_owned());
    let bytes = zipped.bytes().await.unwrap();
    let mut text = String::new();
    match encoding.as_deref() {
        Some("gzip") => {
            std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut text).unwrap();
        }
        None => text = String::from_utf8(bytes.to_vec()).unwrap(),
        Some(other) => panic!("asked for gzip, got {other}"),
    }
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), answer.body, "gzip and plain answers differ");
    answer.body
}

async fn upvote(client: &Client, id: i64) {
    let answer = client.api_post(&format!("/api/v1/comments/{id}/vote"), json!({"value": 1})).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

#[tokio::test]
async fn a_reader_never_sees_another_readers_votes_edits_or_held_comments_whoever_filled_the_cache() {
    let app = spawn().await;
    app.article("budget").await;
    let ada = app.reader("ada").await;
    let bob = app.reader("bob").await;
    let carol = app.reader("carol").await;
    let anonymous = app.client();

    let by_ada = ada.comment("budget", "Ada's first word.").await;
    let by_bob = bob.reply("budget", by_ada, "Bob answers Ada.").await;
    upvote(&bob, by_ada).await;
    app.site_settings(|s| s.policy.premoderation = Premoderation::Everyone).await;
    let held = ada.comment("budget", "Ada's second word waits for a moderator.").await;
    app.site_settings(|s| s.policy.premoderation = Premoderation::Off).await;

    // Bob reads first, and so fills the shared cache; then everyone else reads.
    for first in ["bob", "anonymous", "ada", "carol"] {
        // A new version of the discussion each round: the cache is empty again.
        let nudge = carol.comment("budget", &format!("Carol nudges the thread ({first} reads first).")).await;
        let order: Vec<&str> = std::iter::once(first).chain(["bob", "anonymous", "ada", "carol"]).collect();
        for who in order {
            let client = match who {
                "bob" => &bob,
                "ada" => &ada,
                "carol" => &carol,
                _ => &anonymous,
            };
            let thread = read(client, "").await;
            let seen = ids(&thread["comments"]);
            assert_eq!(seen.contains(&held), who == "ada", "{who} (after {first}) sees Ada's held comment: {seen:?}");
            for (id, voted, editable) in flags(&thread) {
                let expect_voted = who == "bob" && id == by_ada;
                let author = match id {
                    id if id == by_ada || id == held => "ada",
                    id if id == by_bob => "bob",
                    _ => "carol",
                };
                assert_eq!(voted, expect_voted, "{who} (after {first}): voted on {id}");
                assert_eq!(editable, author == who, "{who} (after {first}): editable {id}");
            }
            if who == "ada" {
                let mine = find(&thread, held).unwrap();
                assert_eq!(mine["status"], "pending");
                assert!(mine["held"]["reasons"].as_array().is_some_and(|r| !r.is_empty()), "{mine}");
            }
        }
        assert!(find(&read(&anonymous, "").await, nudge).is_some());
    }
}

#[tokio::test]
async fn moderators_see_held_comments_in_place_and_their_own_votes() {
    let app = spawn().await;
    app.article("budget").await;
    let ada = app.reader("ada").await;
    let moderator = app.signed_in("mod1", Role::Moderator).await;
    let public = ada.comment("budget", "In public.").await;
    app.site_settings(|s| s.policy.premoderation = Premoderation::Everyone).await;
    let held = ada.comment("budget", "Waiting for a moderator.").await;
    app.site_settings(|s| s.policy.premoderation = Premoderation::Off).await;
    upvote(&moderator, public).await;

    // Ada fills nothing shared (she has a held comment); an anonymous reader does.
    assert!(find(&read(&app.client(), "").await, held).is_none());
    let thread = read(&moderator, "").await;
    let seen = find(&thread, held).expect("the moderator sees the held comment");
    assert_eq!(seen["status"], "pending");
    assert_eq!(seen["editable"], false, "not theirs to edit");
    assert!(seen["held"].is_null(), "why it waits is its author's: {seen}");
    assert_eq!(find(&thread, public).unwrap()["voted"], true);
    // And the next anonymous reader still does not see it, nor the moderator's vote.
    let after = read(&app.client(), "").await;
    assert!(find(&after, held).is_none());
    assert_eq!(find(&after, public).unwrap()["voted"], false);
    assert_eq!(find(&after, public).unwrap()["score"], 1);
}

#[tokio::test]
async fn a_write_shows_on_the_next_read_and_the_edit_window_closes_on_time() {
    let app = spawn().await;
    app.article("budget").await;
    let ada = app.reader("ada").await;
    let bob = app.reader("bob").await;
    let anonymous = app.client();
    let first = ada.comment("budget", "The first version.").await;

    // Fill the shared page, as bob and as nobody, then write.
    let before = read(&bob, "").await;
    assert_eq!(find(&before, first).unwrap()["voted"], false);
    let tag = anonymous.thread("budget", "").await.headers["etag"].to_str().unwrap().to_owned();

    upvote(&bob, first).await;
    let seen = find(&read(&bob, "").await, first).unwrap();
    assert_eq!((seen["voted"].clone(), seen["score"].clone()), (json!(true), json!(1)));
    assert_eq!(find(&read(&anonymous, "").await, first).unwrap()["score"], 1);

    let edited = ada.api_patch(&format!("/api/v1/comments/{first}"), json!({"body": "The second version."})).await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    assert_eq!(edited.body["editable"], true);
    assert!(find(&read(&anonymous, "").await, first).unwrap()["body_html"].as_str().unwrap().contains("second"));
    assert!(find(&read(&bob, "").await, first).unwrap()["body_html"].as_str().unwrap().contains("second"));

    let second = bob.comment("budget", "Bob joins in.").await;
    assert!(find(&read(&anonymous, "").await, second).is_some());
    assert_eq!(find(&read(&ada, "").await, second).unwrap()["editable"], false);

    // An unchanged thread answers If-None-Match with 304; a changed one does not.
    let now = anonymous.thread("budget", "").await;
    let current = now.headers["etag"].to_str().unwrap().to_owned();
    assert_ne!(current, tag, "the thread changed, so did its tag");
    let again = anonymous.http_get_with("/api/v1/articles/budget/comments", "if-none-match", &current).await;
    assert_eq!(again, StatusCode::NOT_MODIFIED);
    let stale = anonymous.http_get_with("/api/v1/articles/budget/comments", "if-none-match", &tag).await;
    assert_eq!(stale, StatusCode::OK);

    // Nothing is written when the edit window closes: the next read says so all the same.
    assert_eq!(find(&read(&ada, "").await, first).unwrap()["editable"], true);
    app.advance(chrono::TimeDelta::minutes(app.app.settings.edit_window_minutes + 1));
    assert_eq!(find(&read(&ada, "").await, first).unwrap()["editable"], false);
    assert_eq!(find(&read(&bob, "").await, first).unwrap()["voted"], true, "votes outlast the window");

    assert_eq!(ada.api_delete(&format!("/api/v1/comments/{first}")).await.status, StatusCode::NO_CONTENT);
    assert!(find(&read(&anonymous, "").await, first).is_none());
}

#[tokio::test]
async fn each_page_size_and_cursor_gets_its_own_page() {
    let app = spawn().await;
    app.article("budget").await;
    let ada = app.reader("ada").await;
    let anonymous = app.client();
    let mut posted = Vec::new();
    for i in 0..5 {
        posted.push(ada.comment("budget", &format!("Comment number {i}.")).await);
    }
    let two = read(&anonymous, "?limit=2").await;
    assert_eq!(ids(&two["comments"]), posted[..2]);
    let three = read(&anonymous, "?limit=3").await;
    assert_eq!(ids(&three["comments"]), posted[..3]);
    let after = two["next_cursor"].as_str().unwrap();
    let next = read(&anonymous, &format!("?limit=2&after={after}")).await;
    assert_eq!(ids(&next["comments"]), posted[2..4]);
    let newest = read(&anonymous, "?limit=2&sort=newest").await;
    assert_eq!(ids(&newest["comments"]), vec![posted[4], posted[3]]);
    // The same again, now from the cache, and as a signed-in reader with things of their own.
    assert_eq!(read(&anonymous, "?limit=2").await, two);
    let mine = read(&ada, "?limit=2").await;
    assert_eq!(ids(&mine["comments"]), posted[..2]);
    assert!(flags(&mine).iter().all(|(_, voted, editable)| !voted && *editable));
}

/// The shared answer is JSON by its header too, for anonymous and signed-in readers, made or kept
/// (schemathesis found it sent without a `Content-Type`).
#[tokio::test]
async fn the_shared_thread_says_it_is_json() {
    let app = spawn().await;
    app.article("budget").await;
    let ada = app.reader("ada").await;
    ada.comment("budget", "A first comment.").await;
    for client in [&app.client(), &app.client(), &ada, &ada] {
        let page = client.get("/api/v1/articles/budget/comments?limit=1").await;
        assert_eq!(page.status, StatusCode::OK);
        let kind = page.headers.get("content-type").map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(kind.as_deref(), Some("application/json"), "{}", page.text);
    }
}
