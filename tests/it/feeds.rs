//! The Atom feeds, read with a real XML parser as a feed reader would: what they carry, in
//! what order, threaded how, escaped how, and what they never carry.

use civil::domain::moderation::Premoderation;
use civil::domain::role::Role;
use civil::services::accounts::{self, Registration};
use civil::services::{articles, Actor};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{spawn_with, Client, TestApp, PASSWORD};

const BASE: &str = "https://comments.example.org";
const ATOM: &str = "http://www.w3.org/2005/Atom";
const THR: &str = "http://purl.org/syndication/thread/1.0";

async fn spawn() -> TestApp {
    spawn_with(|s| s.base_url = BASE.into()).await
}

#[derive(Debug)]
struct Feed {
    id: String,
    title: String,
    updated: String,
    links: Vec<(String, String, String)>,
    entries: Vec<Entry>,
}

#[derive(Debug)]
struct Entry {
    id: String,
    title: String,
    published: String,
    updated: String,
    author: String,
    author_uri: String,
    link: String,
    in_reply_to: Option<(String, String)>,
    content_type: String,
    content: String,
}

fn child<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> roxmltree::Node<'a, 'a> {
    node.children()
        .find(|c| c.has_tag_name((ATOM, name)))
        .unwrap_or_else(|| panic!("<{}> has no <{name}>", node.tag_name().name()))
}

fn text(node: roxmltree::Node<'_, '_>, name: &str) -> String {
    child(node, name).text().unwrap_or("").to_owned()
}

fn parse(xml: &str) -> Feed {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("the feed is not XML ({e}):\n{xml}"));
    let feed = doc.root_element();
    assert!(feed.has_tag_name((ATOM, "feed")), "the root is an Atom feed");
    let links = feed
        .children()
        .filter(|c| c.has_tag_name((ATOM, "link")))
        .map(|l| {
            let attr = |a: &str| l.attribute(a).unwrap_or("").to_owned();
            (attr("rel"), attr("type"), attr("href"))
        })
        .collect();
    let entries = feed
        .children()
        .filter(|c| c.has_tag_name((ATOM, "entry")))
        .map(|e| {
            let author = child(e, "author");
            let content = child(e, "content");
            let reply = e.children().find(|c| c.has_tag_name((THR, "in-reply-to")));
            Entry {
                id: text(e, "id"),
                title: text(e, "title"),
                published: text(e, "published"),
                updated: text(e, "updated"),
                author: text(author, "name"),
                author_uri: text(author, "uri"),
                link: child(e, "link").attribute("href").unwrap_or("").to_owned(),
                in_reply_to: reply
                    .map(|r| (r.attribute("ref").unwrap().to_owned(), r.attribute("href").unwrap().to_owned())),
                content_type: content.attribute("type").unwrap_or("text").to_owned(),
                content: content.text().unwrap_or("").to_owned(),
            }
        })
        .collect();
    Feed { id: text(feed, "id"), title: text(feed, "title"), updated: text(feed, "updated"), links, entries }
}

async fn fetch(client: &Client, path: &str) -> Feed {
    let response = client.get(path).await;
    assert_eq!(response.status, StatusCode::OK, "{path}: {}", response.text);
    assert_eq!(response.headers["content-type"], "application/atom+xml; charset=utf-8");
    parse(&response.text)
}

fn permalink(id: i64) -> String {
    format!("{BASE}/comments/{id}")
}

fn entry_ids(feed: &Feed) -> Vec<String> {
    feed.entries.iter().map(|e| e.id.clone()).collect()
}

fn rfc3339(at: chrono::NaiveDateTime) -> String {
    at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The HTML the public thread shows for each comment, by id.
async fn public_html(app: &TestApp, slug: &str) -> std::collections::HashMap<i64, String> {
    let thread = app.client().thread(slug, "").await;
    let mut out = std::collections::HashMap::new();
    fn walk(list: &serde_json::Value, out: &mut std::collections::HashMap<i64, String>) {
        for c in list.as_array().unwrap() {
            out.insert(c["id"].as_i64().unwrap(), c["body_html"].as_str().unwrap().to_owned());
            walk(&c["replies"], out);
        }
    }
    walk(&thread.body["comments"], &mut out);
    out
}

#[tokio::test]
async fn a_thread_feed_lists_published_comments_newest_first_with_replies_threaded() {
    let app = spawn().await;
    app.article("budget").await;
    let ada = app.reader("ada").await;
    let bob = app.reader("bob").await;
    let first = ada.comment("budget", "The council should publish the **full** figures.").await;
    let answer = bob.reply("budget", first, "They did, on page 12.").await;
    let second = ada.comment("budget", "What about the bridge repairs?").await;
    let deeper = ada.reply("budget", answer, "Page 12 is a summary.").await;

    let feed = fetch(&app.client(), "/articles/budget/comments.atom").await;
    assert_eq!(feed.title, "Title of budget: comments");
    assert_eq!(feed.id, format!("{BASE}/articles/budget/comments.atom"));
    assert!(feed.links.contains(&(
        "self".into(),
        "application/atom+xml".into(),
        format!("{BASE}/articles/budget/comments.atom")
    )));
    assert!(feed.links.contains(&("alternate".into(), "text/html".into(), format!("{BASE}/articles/budget"))));
    assert_eq!(entry_ids(&feed), [deeper, second, answer, first].map(permalink));

    let html = public_html(&app, "budget").await;
    for entry in &feed.entries {
        let id: i64 = entry.id.rsplit('/').next().unwrap().parse().unwrap();
        assert_eq!(entry.link, entry.id, "the id is the permalink");
        assert_eq!(entry.content_type, "html");
        assert_eq!(entry.content, html[&id], "the entry carries what the thread shows");
        assert_eq!(entry.published, entry.updated, "nothing was edited");
    }
    assert_eq!(feed.entries[0].author, "ada");
    assert_eq!(feed.entries[0].author_uri, format!("{BASE}/users/ada"));
    assert_eq!(feed.entries[2].title, "Comment by bob");
    assert!(feed.entries[3].content.contains("<strong>full</strong>"), "{}", feed.entries[3].content);
    let threading: Vec<Option<(String, String)>> = feed.entries.iter().map(|e| e.in_reply_to.clone()).collect();
    assert_eq!(
        threading,
        [Some((permalink(answer), permalink(answer))), None, Some((permalink(first), permalink(first))), None]
    );
    assert_eq!(feed.updated, feed.entries[0].updated, "the feed is as new as its newest entry");

    // The permalink lands on the comment in its thread.
    let landing = app.client().get(&format!("/comments/{answer}")).await;
    assert_eq!(landing.status, StatusCode::SEE_OTHER);
    assert_eq!(landing.location(), format!("/articles/budget#comment-{answer}"));

    // Another thread's comments stay in their own feed.
    app.article("bridges").await;
    bob.comment("bridges", "Elsewhere entirely.").await;
    assert_eq!(fetch(&app.client(), "/articles/budget/comments.atom").await.entries.len(), 4);
    assert_eq!(fetch(&app.client(), "/articles/bridges/comments.atom").await.entries.len(), 1);
}

#[tokio::test]
async fn an_edited_comment_is_updated_when_it_was_edited() {
    let app = spawn().await;
    app.article("budget").await;
    let ada = app.reader("ada").await;
    // Whole seconds, so that the milliseconds a request takes cannot carry its time into the
    // next second (the feed's times are whole seconds).
    use chrono::Timelike;
    let posted_at = app.app.clock.now().with_nanosecond(0).unwrap() + chrono::TimeDelta::seconds(1);
    app.app.clock.set(posted_at);
    let id = ada.comment("budget", "First thoughts.").await;
    let edited_at = posted_at + chrono::TimeDelta::minutes(3);
    app.app.clock.set(edited_at);
    let edited = ada.api_patch(&format!("/api/v1/comments/{id}"), json!({"body": "Second thoughts."})).await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);

    let feed = fetch(&app.client(), "/articles/budget/comments.atom").await;
    let entry = &feed.entries[0];
    assert_eq!(entry.published, rfc3339(posted_at));
    assert_eq!(entry.updated, rfc3339(edited_at));
    assert_eq!(feed.updated, rfc3339(edited_at));
    assert!(entry.content.contains("Second thoughts.") && !entry.content.contains("First"), "{}", entry.content);
}

#[tokio::test]
async fn hostile_names_titles_and_bodies_are_escaped_and_bodies_are_the_masked_html() {
    let app = spawn().await;
    let title = r#"Tom & Jerry's <b>"live"</b> ]]> &amp;"#;
    articles::create(
        &app.app,
        Actor::Operator,
        articles::ArticleForm {
            slug: "live".into(),
            title: title.into(),
            summary: String::new(),
            body: "Body.".into(),
            author_name: "Jo".into(),
            comments_open: true,
        },
        true,
    )
    .await
    .unwrap();
    let name = r#"<script>x("y")</script> & 'Co' </name>"#;
    accounts::register(
        &app.app,
        Registration {
            username: "mallory".into(),
            email: "mallory@example.com".into(),
            password: PASSWORD.into(),
            display_name: Some(name.into()),
        },
        Role::Reader,
        None,
    )
    .await
    .expect("a display name may hold any printable text");
    let mut mallory = app.client();
    mallory.sign_in("mallory", PASSWORD).await;
    let body = "**bold** <script>alert(1)</script> </content></entry><entry> ]]> &amp; this is fucking ridiculous";
    let id = mallory.comment("live", body).await;

    let raw = app.client().get("/articles/live/comments.atom").await;
    assert!(!raw.text.contains("<script"), "no markup of theirs is markup of ours:\n{}", raw.text);
    let feed = parse(&raw.text);
    assert_eq!(feed.title, format!("{title}: comments"));
    assert_eq!(feed.entries.len(), 1);
    let entry = &feed.entries[0];
    assert_eq!(entry.author, name);
    assert_eq!(entry.title, format!("Comment by {name}"));
    assert_eq!(entry.content, public_html(&app, "live").await[&id]);
    assert!(!entry.content.contains("<script") && !entry.content.contains("fucking"), "{}", entry.content);
    assert!(entry.content.contains("<strong>bold</strong>") && entry.content.contains("f******"), "{}", entry.content);

    let site = parse(&app.client().get("/comments.atom").await.text);
    assert_eq!(site.entries[0].title, format!("{name} on {title}"));
    assert_eq!(site.entries[0].author, name);
}

#[tokio::test]
async fn held_removed_and_deleted_comments_and_comments_on_drafts_never_appear() {
    let app = spawn().await;
    app.article("budget").await;
    app.article("scoop").await;
    let ada = app.reader("ada").await;
    let bob = app.reader("bob").await;
    let moderator = app.signed_in("mod1", Role::Moderator).await;

    let kept = ada.comment("budget", "This one stays.").await;
    let removed = bob.comment("budget", "A moderator takes this down.").await;
    let under_removed = ada.reply("budget", removed, "A reply that stays under the placeholder.").await;
    let deleted = bob.comment("budget", "Its author deletes this.").await;
    app.site_settings(|s| s.policy.premoderation = Premoderation::Everyone).await;
    let held = bob.comment("budget", "This waits for a moderator.").await;
    app.site_settings(|s| s.policy.premoderation = Premoderation::Off).await;
    let on_draft = ada.comment("scoop", "Said while the scoop was out.").await;

    let taken_down = moderator
        .api_post(&format!("/api/v1/moderation/comments/{removed}/remove"), json!({"reason": "off_topic"}))
        .await;
    assert_eq!(taken_down.status, StatusCode::OK, "{}", taken_down.body);
    assert_eq!(bob.api_delete(&format!("/api/v1/comments/{deleted}")).await.status, StatusCode::NO_CONTENT);
    articles::set_published(&app.app, Actor::Operator, "scoop".into(), false).await.unwrap();

    let anyone = app.client();
    let thread = fetch(&anyone, "/articles/budget/comments.atom").await;
    assert_eq!(entry_ids(&thread), [under_removed, kept].map(permalink));
    assert_eq!(
        thread.entries[0].in_reply_to,
        Some((permalink(removed), permalink(removed))),
        "a reply still says what it answers; the removed comment itself is not there"
    );
    let site = fetch(&anyone, "/comments.atom").await;
    assert_eq!(entry_ids(&site), [under_removed, kept].map(permalink), "no held, removed, deleted or draft comments");
    for feed in [&thread, &site] {
        for entry in &feed.entries {
            for gone in ["takes this down", "deletes this", "waits for", "scoop was out"] {
                assert!(!entry.content.contains(gone), "{gone:?} leaked into {entry:?}");
            }
        }
    }
    assert_eq!(anyone.get("/articles/scoop/comments.atom").await.status, StatusCode::NOT_FOUND, "a draft has no feed");

    // Once approved, and once the scoop is out again, they appear.
    let approved = moderator.api_post(&format!("/api/v1/moderation/comments/{held}/approve"), json!({})).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    articles::set_published(&app.app, Actor::Operator, "scoop".into(), true).await.unwrap();
    assert_eq!(
        entry_ids(&fetch(&anyone, "/comments.atom").await),
        [on_draft, held, under_removed, kept].map(permalink)
    );
}

#[tokio::test]
async fn the_site_feed_mixes_threads_newest_first_and_holds_the_latest_fifty() {
    let app = spawn_with(|s| {
        s.base_url = BASE.into();
        s.site_name = "The Daily <Planet> & Co".into();
    })
    .await;
    app.article("budget").await;
    app.article("bridges").await;
    let ada = app.reader("ada").await;
    let mut posted = Vec::new();
    for n in 0..55 {
        let slug = if n % 2 == 0 { "budget" } else { "bridges" };
        posted.push((ada.comment(slug, &format!("Comment number {n}.")).await, slug));
    }

    let feed = fetch(&app.client(), "/comments.atom").await;
    assert_eq!(feed.title, "The Daily <Planet> & Co: latest comments");
    assert_eq!(feed.id, format!("{BASE}/comments.atom"));
    assert!(feed.links.contains(&("self".into(), "application/atom+xml".into(), format!("{BASE}/comments.atom"))));
    assert!(feed.links.contains(&("alternate".into(), "text/html".into(), format!("{BASE}/"))));
    let newest: Vec<String> = posted.iter().rev().take(50).map(|(id, _)| permalink(*id)).collect();
    assert_eq!(entry_ids(&feed), newest);
    for (entry, (_, slug)) in feed.entries.iter().zip(posted.iter().rev()) {
        assert_eq!(entry.title, format!("ada on Title of {slug}"));
    }
    let budget = fetch(&app.client(), "/articles/budget/comments.atom").await;
    assert_eq!(budget.entries.len(), 28, "the thread's own feed holds all 28 of its comments");
}

#[tokio::test]
async fn an_unchanged_feed_answers_a_poll_with_304_and_a_change_with_the_new_feed() {
    let app = spawn().await;
    app.article("budget").await;
    let ada = app.reader("ada").await;
    let moderator = app.signed_in("mod1", Role::Moderator).await;
    let first = ada.comment("budget", "First.").await;
    let anyone = app.client();

    for path in ["/articles/budget/comments.atom", "/comments.atom"] {
        let poll = |etag: String| {
            let request = anyone.http.get(anyone.url(path)).header("If-None-Match", etag);
            async move { request.send().await.unwrap() }
        };
        let full = anyone.get(path).await;
        assert_eq!(full.status, StatusCode::OK);
        assert_eq!(full.headers["cache-control"], "no-cache", "{path}: readers revalidate, so removals show at once");
        let etag = full.headers["etag"].to_str().unwrap().to_owned();

        let unchanged = poll(etag.clone()).await;
        assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(unchanged.headers()["etag"].to_str().unwrap(), etag);
        assert!(unchanged.text().await.unwrap().is_empty());

        // A new comment, then a removal: each poll gets the feed as it now is.
        let second = ada.comment("budget", &format!("New while polling {path}.")).await;
        let changed = poll(etag).await;
        assert_eq!(changed.status(), StatusCode::OK, "{path}");
        let etag = changed.headers()["etag"].to_str().unwrap().to_owned();
        assert!(parse(&changed.text().await.unwrap()).entries.iter().any(|e| e.id == permalink(second)));
        let removal = moderator
            .api_post(&format!("/api/v1/moderation/comments/{second}/remove"), json!({"reason": "off_topic"}))
            .await;
        assert_eq!(removal.status, StatusCode::OK, "{}", removal.body);
        let after_removal = poll(etag).await;
        assert_eq!(after_removal.status(), StatusCode::OK, "{path}: the removal changed the feed");
        let ids = entry_ids(&parse(&after_removal.text().await.unwrap()));
        assert!(!ids.contains(&permalink(second)) && ids.contains(&permalink(first)), "{ids:?}");
    }
}

#[tokio::test]
async fn pages_name_their_feeds_for_feed_readers_to_find() {
    let app = spawn().await;
    app.article("budget").await;
    let anyone = app.client();
    anyone.get("/articles/budget").await.assert_contains(
        r#"<link rel="alternate" type="application/atom+xml" title="Comments on Title of budget" href="/articles/budget/comments.atom">"#,
    );
    anyone
        .get("/")
        .await
        .assert_contains(r#"type="application/atom+xml" title="Civil: latest comments" href="/comments.atom">"#);
    assert_eq!(anyone.get("/articles/nowhere/comments.atom").await.status, StatusCode::NOT_FOUND);
}
