//! Live updates over server-sent events: what a discussion's stream sends, in order, after a
//! reconnect, across instances, and what it never sends.

use std::time::Duration;

use civil::domain::role::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{spawn, spawn_on, Client};

/// An open stream, read event by event.
struct Sse {
    response: reqwest::Response,
    buffer: String,
}

/// One event: its id (if it has one) and its data.
#[derive(Debug)]
struct Received {
    id: Option<i64>,
    data: Value,
}

/// Long enough for any machine; a failing test fails here rather than hanging.
const PATIENCE: Duration = Duration::from_secs(20);

impl Sse {
    async fn open(client: &Client, path: &str, last: Option<i64>) -> Sse {
        let mut request = client.http.get(client.url(path)).header("accept-encoding", "br, gzip");
        if let Some(last) = last {
            request = request.header("last-event-id", last.to_string());
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(header("content-type").as_deref(), Some("text/event-stream"));
        assert_eq!(header("content-encoding").as_deref(), Some("identity"), "never compressed");
        Sse { response, buffer: String::new() }
    }

    /// The next event with data (comments and the retry hint skipped).
    async fn next(&mut self) -> Received {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut id = None;
                let mut data = None;
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id: ") {
                        id = Some(v.parse().unwrap());
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data = Some(serde_json::from_str(v).unwrap());
                    }
                }
                if let Some(data) = data {
                    return Received { id, data };
                }
                continue;
            }
            let chunk = tokio::time::timeout(PATIENCE, self.response.chunk())
                .await
                .expect("an event within the patience")
                .unwrap()
                .expect("the stream stays open");
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    /// The next event, which must be of `kind`.
    async fn expect(&mut self, kind: &str) -> Received {
        let event = self.next().await;
        assert_eq!(event.data["kind"], kind, "{event:?}");
        event
    }
}

async fn moderator_decides(moderator: &Client, id: i64, action: &str, body: Value) {
    let done = moderator.api_post(&format!("/api/v1/moderation/comments/{id}/{action}"), body).await;
    assert!(done.status.is_success(), "{action}: {}", done.body);
}

const HELD: &str = "You are a faggot and this is shit.";

#[tokio::test]
async fn a_stream_sends_each_change_in_order_and_never_a_held_comment_until_it_is_approved() {
    let app = spawn().await;
    app.article("live").await;
    let ada = app.reader("ada").await;
    let bob = app.reader("bob").await;
    let moderator = app.signed_in("mira", Role::Moderator).await;
    let mut stream = Sse::open(&app.client(), "/articles/live/events", None).await;
    let ready = stream.expect("ready").await.id.expect("the start has an id, for the browser to resume from");

    let first = ada.comment("live", "The first comment.").await;
    let event = stream.expect("published").await.data;
    assert_eq!(event, json!({"kind": "published", "comment": first, "count": 1}));
    // Held: moderators hear of it; readers hear nothing, so the next thing they hear is the reply.
    let held = bob.try_comment("live", HELD, None).await;
    assert_eq!(held.body["status"], "pending");
    let held = held.body["id"].as_i64().unwrap();
    let reply = bob.reply("live", first, "A reply, published.").await;
    let event = stream.next().await;
    assert_eq!(event.data, json!({"kind": "published", "comment": reply, "parent": first, "count": 2}));
    assert!(event.id.unwrap() > ready);
    // Approved, it is news to readers.
    moderator_decides(&moderator, held, "approve", json!({})).await;
    assert_eq!(stream.next().await.data, json!({"kind": "published", "comment": held, "count": 3}));
    // Edits and removals, in place.
    let edited =
        ada.api_patch(&format!("/api/v1/comments/{first}"), json!({"body": "The first comment, edited."})).await;
    assert!(edited.status.is_success(), "{}", edited.body);
    assert_eq!(stream.next().await.data, json!({"kind": "edited", "comment": first, "count": 3}));
    moderator_decides(&moderator, reply, "remove", json!({"reason": "spam"})).await;
    assert_eq!(stream.next().await.data, json!({"kind": "gone", "comment": reply, "parent": first, "count": 2}));
    assert!(ada.api_delete(&format!("/api/v1/comments/{first}")).await.status.is_success());
    assert_eq!(stream.next().await.data, json!({"kind": "gone", "comment": first, "count": 1}));
    // Closing the discussion.
    let closed = moderator.submit("/articles/live", "/moderation/articles/live/close", &[]).await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER);
    assert_eq!(stream.next().await.data, json!({"kind": "closed", "count": 1}));

    // The fragment a page fetches shows the comment as the one asking sees it.
    let fragment = app.client().get(&format!("/comments/{held}/fragment")).await;
    assert_eq!(fragment.status, StatusCode::OK);
    fragment.assert_contains(&format!("id=\"comment-{held}\""));
    fragment.assert_lacks("<html");
}

#[tokio::test]
async fn a_stream_that_comes_back_gets_exactly_what_it_missed() {
    let app = spawn().await;
    app.article("live").await;
    app.article("elsewhere").await;
    let ada = app.reader("ada").await;
    let anon = app.client();
    let mut stream = Sse::open(&anon, "/articles/live/events", None).await;
    stream.expect("ready").await;
    let one = ada.comment("live", "One.").await;
    let seen = stream.expect("published").await;
    assert_eq!(seen.data["comment"], one);
    drop(stream);

    // Missed while away: two here, one on another article (not this stream's business).
    let two = ada.comment("live", "Two.").await;
    ada.comment("elsewhere", "Not here.").await;
    let three = ada.reply("live", one, "Three.").await;
    let mut back = Sse::open(&anon, "/articles/live/events", seen.id).await;
    let first = back.next().await;
    assert_eq!(first.data["comment"], two);
    let second = back.next().await;
    assert_eq!(second.data["comment"], three);
    assert!(first.id < second.id && second.id.is_some());
    // Then live again, with nothing sent twice.
    let four = ada.comment("live", "Four.").await;
    assert_eq!(back.next().await.data["comment"], four);

    // The query parameter serves a client that cannot send the header.
    let mut by_query = Sse::open(&anon, &format!("/articles/live/events?last={}", seen.id.unwrap()), None).await;
    assert_eq!(by_query.next().await.data["comment"], two);

    // After more than a day away, what it missed may be pruned: it is told to reload.
    app.advance(chrono::TimeDelta::hours(25));
    ada.comment("live", "Five, a day later.").await;
    civil::services::live::prune(&app.app).await.unwrap();
    let mut late = Sse::open(&anon, "/articles/live/events", seen.id).await;
    assert_eq!(late.next().await.data["kind"], "reload");
    // An id this log never gave out is no place to resume from either.
    let mut unknown = Sse::open(&anon, "/articles/live/events", Some(1_000_000)).await;
    assert_eq!(unknown.next().await.data["kind"], "reload");
}

#[tokio::test]
async fn moderators_hear_the_queue_and_readers_cannot_listen_to_it() {
    let app = spawn().await;
    app.article("live").await;
    let ada = app.reader("ada").await;
    let moderator = app.signed_in("mira", Role::Moderator).await;
    for (client, expected) in [(&app.client(), StatusCode::UNAUTHORIZED), (&ada, StatusCode::FORBIDDEN)] {
        let refused = client.http.get(client.url("/moderation/events")).send().await.unwrap();
        assert_eq!(refused.status(), expected);
    }
    let mut stream = Sse::open(&moderator, "/moderation/events", None).await;
    assert_eq!(stream.expect("queue").await.data, json!({"kind": "queue", "pending": 0, "reported": 0}));
    let held = ada.try_comment("live", HELD, None).await.body["id"].as_i64().unwrap();
    assert_eq!(stream.next().await.data, json!({"kind": "queue", "comment": held, "pending": 1, "reported": 0}));
    moderator_decides(&moderator, held, "remove", json!({"reason": "abuse"})).await;
    assert_eq!(stream.next().await.data, json!({"kind": "queue", "comment": held, "pending": 0, "reported": 0}));
    // The page of the queue listens when it is open.
    moderator.get("/moderation").await.assert_contains("data-live=\"/moderation/events\"");
}

#[tokio::test]
async fn a_comment_posted_on_one_instance_reaches_a_stream_on_another() {
    let first = spawn().await;
    if !first.db.is_postgres() {
        eprintln!("skipped: two instances share a database only on PostgreSQL");
        return;
    }
    let second = spawn_on(first.db.clone(), |_| {}).await;
    first.article("live").await;
    let mut stream = Sse::open(&second.client(), "/articles/live/events", None).await;
    stream.expect("ready").await;
    let ada = first.reader("ada").await;
    let id = ada.comment("live", "Posted on the first instance.").await;
    assert_eq!(stream.next().await.data, json!({"kind": "published", "comment": id, "count": 1}));
    // The gauge of open streams counts it where it is open.
    let metrics = second.app.live.open_streams();
    assert_eq!(metrics, 1);
    assert_eq!(first.app.live.open_streams(), 0);
}
