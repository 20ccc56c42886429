//! Isso's HTTP API under `/isso/`, over HTTP as Isso's client sends it: from a page on an
//! allowed site (`Origin`), JSON bodies, the edit cookie kept by the browser.

use std::path::PathBuf;

use civil::domain::canonical_url::Origin;
use civil::domain::role::Role;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::cli::{civil, ok};
use crate::helpers::*;

const SITE: &str = "https://blog.example";

/// A reader's browser on a page of `origin`, as Isso's client calls: every request with the
/// page's `Origin` and a JSON content type, and a cookie jar.
struct Isso {
    http: reqwest::Client,
    base: String,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Isso {
    fn new(app: &TestApp, origin: &str) -> Isso {
        let mut headers = HeaderMap::new();
        if !origin.is_empty() {
            headers.insert("origin", HeaderValue::from_str(origin).unwrap());
        }
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        Isso {
            http: reqwest::Client::builder().cookie_store(true).default_headers(headers).build().unwrap(),
            base: format!("{}/isso", app.address),
        }
    }

    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        request = match body {
            Some(body) => request.body(body.to_string()),
            None => request.body("null"),
        };
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer { status, headers, body }
    }

    async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(Method::POST, path, Some(body)).await
    }

    async fn new_comment(&self, uri: &str, body: Value) -> Answer {
        self.post(&format!("/new?uri={}", urlencoding::encode(uri)), body).await
    }

    async fn list(&self, query: &str) -> Value {
        let answer = self.get(&format!("/?{query}")).await;
        assert_eq!(answer.status, StatusCode::OK, "{query}: {}", answer.body);
        answer.body
    }
}

fn ids(list: &Value) -> Vec<i64> {
    list["replies"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect()
}

async fn serve(db: &std::sync::Arc<TestDatabase>) -> TestApp {
    spawn_on(db.clone(), |s| s.embed_origins = vec![Origin::parse(SITE).unwrap()]).await
}

async fn site() -> TestApp {
    spawn_with(|s| s.embed_origins = vec![Origin::parse(SITE).unwrap()]).await
}

/// The slug of the external thread of `url`.
async fn slug_of(app: &TestApp, url: &str) -> String {
    let threads = civil::services::embeds::threads(&app.app, civil::services::Actor::Operator).await.unwrap();
    threads.into_iter().find(|t| t.canonical_url.as_deref() == Some(url)).expect("the thread").slug
}

#[tokio::test]
async fn an_imported_isso_thread_is_the_one_isso_s_client_lists_pages_counts_and_feeds() {
    let db = std::sync::Arc::new(TestDatabase::new());
    ok(&civil(&db, &["migrate"], ""));
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import/isso-comments.db");
    ok(&civil(&db, &["import", "isso", "--site", SITE, &fixture.to_string_lossy()], ""));
    let app = serve(&db).await;
    let page = Isso::new(&app, SITE);

    // Top level: Alice's (14), the unicode one (18) and Frank's deleted one (19), kept as a
    // placeholder for Grace's reply; Dave's, waiting for a moderator, is not listed.
    let all = page.list("uri=/2026/01/deepseek-v4/").await;
    assert_eq!(all["id"], Value::Null);
    assert_eq!(all["total_replies"], 3, "{all}");
    assert_eq!(all["hidden_replies"], 0);
    assert_eq!(all["config"]["feed"], true);
    let top = all["replies"].as_array().unwrap();
    let alice = &top[0];
    assert_eq!(alice["author"], "Alice");
    assert_eq!(alice["mode"], 1);
    assert_eq!(alice["likes"], 2, "Isso's likes came across as the score");
    assert_eq!(alice["dislikes"], 0);
    assert_eq!(alice["parent"], Value::Null);
    assert!(alice["text"].as_str().unwrap().contains("<strong>markdown</strong>"), "{alice}");
    assert_eq!(alice["hash"].as_str().unwrap().len(), 12);
    assert!(alice["created"].as_f64().unwrap() > 1.7e9, "seconds since 1970 with a fraction: {alice}");
    assert_eq!(alice["total_replies"], 1);
    assert_eq!(alice["replies"][0]["author"], "Carol");
    assert_eq!(alice["replies"][0]["parent"], alice["id"]);
    let unicode = top[1]["text"].as_str().unwrap();
    assert!(unicode.contains("Здравствуй") && !unicode.contains("<script"), "{unicode}");
    let frank = &top[2];
    assert_eq!(
        (frank["mode"].clone(), frank["text"].clone(), frank["author"].clone()),
        (json!(4), json!(""), Value::Null)
    );
    assert_eq!(frank["replies"][0]["author"], "Grace");
    assert!(!all.to_string().contains("Awaiting moderation"));

    // Paging: 0.13's `after`, 0.14's `offset`, `limit`, `nested_limit`, `sort`, `parent`.
    let first = page.list("uri=/2026/01/deepseek-v4/&limit=1&nested_limit=0").await;
    assert_eq!(ids(&first), [alice["id"].as_i64().unwrap()]);
    assert_eq!(first["hidden_replies"], 2);
    assert_eq!(first["replies"][0]["hidden_replies"], 1);
    assert_eq!(first["replies"][0]["replies"], json!([]));
    let after = alice["created"].as_f64().unwrap();
    let later = page.list(&format!("uri=/2026/01/deepseek-v4/&after={after}")).await;
    assert_eq!(ids(&later), [top[1]["id"].as_i64().unwrap(), frank["id"].as_i64().unwrap()]);
    let second = page.list("uri=/2026/01/deepseek-v4/&limit=1&offset=1&sort=oldest").await;
    assert_eq!(ids(&second), [top[1]["id"].as_i64().unwrap()]);
    assert_eq!(second["hidden_replies"], 1);
    let newest = page.list("uri=/2026/01/deepseek-v4/&sort=newest").await;
    assert_eq!(ids(&newest)[0], frank["id"].as_i64().unwrap());
    let upvoted = page.list("uri=/2026/01/deepseek-v4/&sort=upvotes").await;
    assert_eq!(ids(&upvoted)[0], alice["id"].as_i64().unwrap());
    let replies = page.list(&format!("uri=/2026/01/deepseek-v4/&parent={}", alice["id"])).await;
    assert_eq!((replies["id"].clone(), replies["total_replies"].clone()), (alice["id"].clone(), json!(1)));
    let plain = page.list("uri=/2026/01/deepseek-v4/&plain=1").await;
    assert!(plain["replies"][0]["text"].as_str().unwrap().contains("**markdown**"), "{plain}");
    assert_eq!(page.list("uri=/never/commented/").await["total_replies"], 0, "an unknown thread lists empty");

    for bad in ["", "uri=/x/&limit=many", "uri=/x/&sort=best", "uri=/x/&offset=-1", "uri=/x/&after=soon"] {
        let answer = page.get(&format!("/?{bad}")).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{bad}: {}", answer.body);
        assert!(answer.body["error"]["message"].is_string(), "{}", answer.body);
    }

    // Counts: the published comments of each thread, in the order asked; feed and config.
    let counts = page.post("/count", json!(["/2026/01/deepseek-v4/", "/2014/test/", "/nowhere/"])).await;
    assert_eq!(counts.status, StatusCode::OK);
    assert_eq!(counts.body, json!([4, 7, 0]));
    let feed = page.get("/feed?uri=/2026/01/deepseek-v4/").await;
    assert_eq!(feed.status, StatusCode::OK);
    assert!(feed.headers["content-type"].to_str().unwrap().starts_with("application/atom+xml"));
    assert!(feed.body.as_str().unwrap().contains("Reply to Frank"), "{}", feed.body);
    let config = page.get("/config").await;
    assert_eq!(config.body["config"]["require-email"], false);

    // Civil's own page of the thread is the same thread.
    let slug = slug_of(&app, "https://blog.example/2026/01/deepseek-v4/").await;
    let civil_thread = app.client().thread(&slug, "").await;
    assert_eq!(civil_thread.body["comments"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn guests_post_and_reply_masked_screened_and_queued_and_a_member_s_address_is_not_theirs() {
    let app = spawn_with(|s| {
        s.embed_origins = vec![Origin::parse(SITE).unwrap()];
        s.rate_limits = true;
    })
    .await;
    let page = Isso::new(&app, SITE);
    let posted = page
        .new_comment(
            "/2026/first-post/",
            json!({"text": "Hello **world**, this is shit.", "author": "Gina", "email": "gina@example.org",
                   "website": "gina.example", "parent": null, "title": "First post", "notification": 0}),
        )
        .await;
    assert_eq!(posted.status, StatusCode::CREATED, "{}", posted.body);
    let id = posted.body["id"].as_i64().unwrap();
    let text = posted.body["text"].as_str().unwrap();
    assert!(text.contains("<strong>world</strong>") && text.contains("s***") && !text.contains("shit"), "{text}");
    assert_eq!((posted.body["author"].clone(), posted.body["mode"].clone()), (json!("Gina"), json!(1)));
    assert_eq!(posted.body["website"], Value::Null, "Civil keeps no website");
    let set_cookie = posted.headers["set-cookie"].to_str().unwrap();
    assert!(set_cookie.starts_with(&format!("{id}=")) && set_cookie.contains("HttpOnly"), "{set_cookie}");
    let page_cookie = posted.headers["x-set-cookie"].to_str().unwrap();
    assert!(page_cookie.starts_with(&format!("isso-{id}=1;")), "the page's cookie holds no secret: {page_cookie}");

    // The thread started with the page's title, and is Civil's external thread of that address.
    let slug = slug_of(&app, "https://blog.example/2026/first-post/").await;
    let thread = app.client().thread(&slug, "").await;
    assert_eq!(thread.body["comments"][0]["id"], id);
    // Civil's rate limits apply: a new account waits between comments.
    let reply_body = json!({"text": "A reply from Gina.", "author": "Gina", "email": "gina@example.org", "parent": id});
    let quick = page.new_comment("/2026/first-post/", reply_body.clone()).await;
    assert_eq!(quick.status, StatusCode::TOO_MANY_REQUESTS, "{}", quick.body);
    app.advance(chrono::TimeDelta::seconds(31));
    let reply = page.new_comment("/2026/first-post/", reply_body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.body["parent"], id);
    let listed = page.list("uri=/2026/first-post/").await;
    assert_eq!(listed["replies"][0]["replies"][0]["id"], reply.body["id"]);
    // One guest, one account: both comments under the same author.
    assert_eq!(
        thread.body["comments"][0]["author"]["username"],
        app.client().thread(&slug, "").await.body["comments"][0]["replies"][0]["author"]["username"]
    );

    // A claimed account's address does not make a guest that member.
    app.create_user("member", Role::Reader).await;
    let posing = page
        .new_comment(
            "/2026/first-post/",
            json!({"text": "I am the member, honestly.", "author": "member", "email": "member@example.com"}),
        )
        .await;
    assert_eq!(posing.status, StatusCode::CREATED, "{}", posing.body);
    let comments = app.client().thread(&slug, "").await.body["comments"].clone();
    let posing_author =
        comments.as_array().unwrap().iter().find(|c| c["id"] == posing.body["id"]).unwrap()["author"].clone();
    assert_ne!(posing_author["username"], "member", "{posing_author}");

    // The site's policy holds guests as it holds anyone: 202, waiting, in the queue, not listed.
    app.site_settings(|s| s.policy.premoderation = civil::domain::moderation::Premoderation::Everyone).await;
    let held = page.new_comment("/2026/first-post/", json!({"text": "Please approve me.", "author": "Hal"})).await;
    assert_eq!(held.status, StatusCode::ACCEPTED, "{}", held.body);
    assert_eq!(held.body["mode"], 2);
    assert!(!page.list("uri=/2026/first-post/").await.to_string().contains("Please approve me"));
    let moderator = app.signed_in("moddy", Role::Moderator).await;
    let queue = moderator.api_get("/api/v1/moderation/queue").await;
    assert!(queue.body.to_string().contains("Please approve me"), "{}", queue.body);

    // Preview: the text as it will show, masked.
    let preview = page.post("/preview", json!({"text": "*shit* happens"})).await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(preview.body["text"].as_str().unwrap().contains("<em>s***</em>"), "{}", preview.body);

    // Too short for Civil: refused with the reason, nothing written.
    let short = page.new_comment("/2026/first-post/", json!({"text": "", "author": "Ivy"})).await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", short.body);
    let bad_address =
        page.new_comment("/2026/first-post/", json!({"text": "Fine text.", "email": "not an address"})).await;
    assert_eq!(bad_address.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad_address.body);

    // A new guest name is a registration: five an hour from one address (Gina, the poser and
    // Hal were three).
    for name in ["Olga", "Pat"] {
        let answer = page.new_comment("/2026/first-post/", json!({"text": "One more voice.", "author": name})).await;
        assert_eq!(answer.status, StatusCode::ACCEPTED, "{name}: {}", answer.body);
    }
    let sixth = page.new_comment("/2026/first-post/", json!({"text": "And another.", "author": "Quinn"})).await;
    assert_eq!(sixth.status, StatusCode::TOO_MANY_REQUESTS, "{}", sixth.body);
}

#[tokio::test]
async fn with_isso_guests_off_the_client_only_reads() {
    let app = spawn_with(|s| {
        s.embed_origins = vec![Origin::parse(SITE).unwrap()];
        s.isso_guests = false;
    })
    .await;
    let page = Isso::new(&app, SITE);
    let refused = page.new_comment("/2026/closed/", json!({"text": "Can I post?", "author": "Jo"})).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert_eq!(page.list("uri=/2026/closed/").await["total_replies"], 0);
}

#[tokio::test]
async fn only_the_author_s_cookie_edits_or_deletes_and_only_within_the_edit_window() {
    let app = site().await;
    let author = Isso::new(&app, SITE);
    let stranger = Isso::new(&app, SITE);
    let posted = author.new_comment("/2026/edits/", json!({"text": "First *draft*.", "author": "Kim"})).await;
    let id = posted.body["id"].as_i64().unwrap();

    let view = author.get(&format!("/id/{id}?plain=1")).await;
    assert_eq!(view.status, StatusCode::OK, "{}", view.body);
    assert_eq!(view.body["text"], "First *draft*.");
    assert!(author.get(&format!("/id/{id}")).await.body["text"].as_str().unwrap().contains("<em>draft</em>"));
    for (method, body) in
        [(Method::GET, None), (Method::PUT, Some(json!({"text": "Hijacked!"}))), (Method::DELETE, None)]
    {
        let answer = stranger.send(method.clone(), &format!("/id/{id}"), body).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{method} by a stranger: {}", answer.body);
    }
    // A cookie for another comment, or a forged one, is no proof either.
    let cookie =
        posted.headers["set-cookie"].to_str().unwrap().split(';').next().unwrap().split_once('=').unwrap().1.to_owned();
    app.advance(chrono::TimeDelta::seconds(31));
    let other = author.new_comment("/2026/edits/", json!({"text": "Another one.", "author": "Kim"})).await;
    assert_eq!(other.status, StatusCode::CREATED, "{}", other.body);
    let other_id = other.body["id"].as_i64().unwrap();
    for forged in
        [cookie.clone(), format!("{other_id}.{}", cookie.split_once('.').unwrap().1), format!("{id}.9999999999.AAAA")]
    {
        let answer = reqwest::Client::new()
            .put(format!("{}/isso/id/{other_id}", app.address))
            .header("origin", SITE)
            .header("content-type", "application/json")
            .header("cookie", format!("{other_id}={forged}"))
            .body(json!({"text": "Forged edit."}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::FORBIDDEN, "{forged}");
    }

    let edited = author.send(Method::PUT, &format!("/id/{id}"), Some(json!({"text": "Second **draft**."}))).await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    assert!(edited.body["text"].as_str().unwrap().contains("<strong>draft</strong>"));
    assert!(edited.body["modified"].is_f64());
    assert!(edited.headers.contains_key("x-set-cookie"));

    // A reply keeps a deleted comment as a placeholder, which the answer is.
    let reply =
        stranger.new_comment("/2026/edits/", json!({"text": "A reply to Kim.", "author": "Lee", "parent": id})).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let deleted = author.send(Method::DELETE, &format!("/id/{id}"), None).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    assert_eq!((deleted.body["mode"].clone(), deleted.body["text"].clone()), (json!(4), json!("")));
    assert!(deleted.headers["x-set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    assert_eq!(author.send(Method::GET, &format!("/id/{id}"), None).await.status, StatusCode::NOT_FOUND);

    // After the edit window: neither edit nor delete, with the cookie or without.
    app.advance(chrono::TimeDelta::minutes(16));
    let late = author.send(Method::PUT, &format!("/id/{other_id}"), Some(json!({"text": "Too late now."}))).await;
    assert_eq!(late.status, StatusCode::FORBIDDEN, "{}", late.body);
    assert_eq!(author.send(Method::DELETE, &format!("/id/{other_id}"), None).await.status, StatusCode::FORBIDDEN);
    let fresh = author.new_comment("/2026/edits/", json!({"text": "Gone soon.", "author": "Kim"})).await;
    let fresh_id = fresh.body["id"].as_i64().unwrap();
    let gone = author.send(Method::DELETE, &format!("/id/{fresh_id}"), None).await;
    assert_eq!((gone.status, gone.body.clone()), (StatusCode::OK, Value::Null), "without replies it is gone");
    assert!(!author.list("uri=/2026/edits/").await.to_string().contains("Gone soon"));
}

#[tokio::test]
async fn likes_count_once_per_visitor_and_dislikes_change_nothing() {
    let app = site().await;
    let page = Isso::new(&app, SITE);
    let posted = page.new_comment("/2026/likes/", json!({"text": "Like me, please.", "author": "Max"})).await;
    let id = posted.body["id"].as_i64().unwrap();
    let liked = page.post(&format!("/id/{id}/like"), Value::Null).await;
    assert_eq!((liked.status, liked.body.clone()), (StatusCode::OK, json!({"likes": 1, "dislikes": 0})));
    let again = page.post(&format!("/id/{id}/like"), Value::Null).await;
    assert_eq!(again.body, json!({"likes": 1, "dislikes": 0}), "one like per visitor");
    let disliked = page.post(&format!("/id/{id}/dislike"), Value::Null).await;
    assert_eq!(disliked.body, json!({"likes": 1, "dislikes": 0}));
    assert_eq!(page.list("uri=/2026/likes/").await["replies"][0]["likes"], 1);
    let slug = slug_of(&app, "https://blog.example/2026/likes/").await;
    assert_eq!(app.client().thread(&slug, "").await.body["comments"][0]["score"], 1, "Civil's score is the same");
    assert_eq!(page.post("/id/999999/like", Value::Null).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn writes_need_an_allowed_page_and_json_and_cors_answers_only_allowed_origins() {
    let app = site().await;
    let comment = json!({"text": "Where am I posting?", "author": "Ned"});
    for origin in ["", "https://evil.example"] {
        let answer = Isso::new(&app, origin).new_comment("/2026/cors/", comment.clone()).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "from {origin:?}: {}", answer.body);
    }
    // A form a page elsewhere could send (no preflight): refused even from the allowed origin.
    let form = reqwest::Client::new()
        .post(format!("{}/isso/new?uri=/2026/cors/", app.address))
        .header("origin", SITE)
        .header("content-type", "text/plain")
        .body(comment.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::FORBIDDEN);
    // Only the site's own pages start its threads: a page may not name another site's address.
    let page = Isso::new(&app, SITE);
    let elsewhere = page.new_comment("https://other.example/2026/x/", comment.clone()).await;
    assert_eq!(elsewhere.status, StatusCode::FORBIDDEN, "{}", elsewhere.body);
    assert!(civil::services::embeds::threads(&app.app, civil::services::Actor::Operator).await.unwrap().is_empty());

    let preflight = |origin: &'static str| {
        reqwest::Client::new()
            .request(Method::OPTIONS, format!("{}/isso/new?uri=/2026/cors/", app.address))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let allowed = preflight(SITE).await.unwrap();
    assert!(allowed.status().is_success());
    assert_eq!(allowed.headers()["access-control-allow-origin"], SITE);
    assert_eq!(allowed.headers()["access-control-allow-credentials"], "true");
    assert!(allowed.headers()["access-control-allow-headers"].to_str().unwrap().contains("Content-Type"));
    let refused = preflight("https://evil.example").await.unwrap();
    assert!(!refused.headers().contains_key("access-control-allow-origin"));
    let listed = page.get("/?uri=/2026/cors/").await;
    assert_eq!(listed.headers["access-control-allow-origin"], SITE);
    assert!(listed.headers["access-control-expose-headers"].to_str().unwrap().contains("X-Set-Cookie"));
    let posted = page.new_comment("/2026/cors/", comment).await;
    assert_eq!(posted.status, StatusCode::CREATED);
    assert_eq!(posted.headers["access-control-allow-origin"], SITE);
}
