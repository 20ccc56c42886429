//! The Atom feed of an external thread, `/embed/comments.atom?url=`: found by the publisher's
//! address in any of its spellings, read by feed readers that never saw the embed, and never a
//! way to start a thread.

use civil::domain::canonical_url::Origin;
use civil::services::{embeds, Actor};
use reqwest::StatusCode;

use crate::helpers::*;

const BASE: &str = "https://comments.example.org";
const ATOM: &str = "http://www.w3.org/2005/Atom";
const STORY: &str = "https://news.example.com/2026/ai-story";

async fn spawn_embedding() -> TestApp {
    spawn_with(|s| {
        s.base_url = BASE.into();
        s.embed_origins = vec![Origin::parse("https://news.example.com").unwrap()];
    })
    .await
}

fn feed_path(url: &str) -> String {
    format!("/embed/comments.atom?url={}", urlencoding::encode(url))
}

/// Starts the thread for `url` the way publishers do: a view of its embed.
async fn start_thread(app: &TestApp, url: &str, title: &str) -> String {
    let path = format!("/embed/thread?url={}&title={}", urlencoding::encode(url), urlencoding::encode(title));
    let page = app.client().get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let threads = embeds::threads(&app.app, Actor::Operator).await.unwrap();
    threads.into_iter().find(|t| t.canonical_url.as_deref() == Some(url)).expect("the embed started a thread").slug
}

/// (title, links as (rel, href), entry ids) of an Atom document.
fn read_feed(xml: &str) -> (String, Vec<(String, String)>, Vec<String>) {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("the feed is not XML ({e}):\n{xml}"));
    let feed = doc.root_element();
    assert!(feed.has_tag_name((ATOM, "feed")), "{xml}");
    let text = |node: roxmltree::Node, name: &str| {
        node.children().find(|c| c.has_tag_name((ATOM, name))).and_then(|c| c.text()).unwrap_or("").to_owned()
    };
    let links = feed
        .children()
        .filter(|c| c.has_tag_name((ATOM, "link")))
        .map(|l| (l.attribute("rel").unwrap_or("").to_owned(), l.attribute("href").unwrap_or("").to_owned()))
        .collect();
    let entries = feed.children().filter(|c| c.has_tag_name((ATOM, "entry"))).map(|e| text(e, "id")).collect();
    (text(feed, "title"), links, entries)
}

fn permalink(id: i64) -> String {
    format!("{BASE}/comments/{id}")
}

#[tokio::test]
async fn an_external_threads_feed_is_found_by_any_spelling_of_the_article_address() {
    let app = spawn_embedding().await;
    let slug = start_thread(&app, STORY, "AI: the story").await;
    let other = start_thread(&app, "https://news.example.com/2026/other", "Elsewhere").await;
    let ada = app.reader("ada").await;
    let first = ada.comment(&slug, "A first thought.").await;
    let reply = app.reader("bob").await.reply(&slug, first, "An answer.").await;
    ada.comment(&other, "Not on this thread.").await;

    let self_url = format!("{BASE}/embed/comments.atom?url={}", urlencoding::encode(STORY));
    for spelling in [STORY, "HTTPS://News.Example.com:443/2026/ai-story?utm_source=feed#comments"] {
        let response = app.client().get(&feed_path(spelling)).await;
        assert_eq!(response.status, StatusCode::OK, "{spelling}: {}", response.text);
        assert_eq!(response.headers["content-type"], "application/atom+xml; charset=utf-8");
        let (title, links, entries) = read_feed(&response.text);
        assert_eq!(title, "AI: the story: comments");
        assert_eq!(entries, [permalink(reply), permalink(first)], "this thread's comments, newest first");
        // Readers follow the feed to the publisher's page, where the discussion is embedded.
        assert!(links.contains(&("alternate".into(), STORY.into())), "{links:?}");
        assert!(links.contains(&("self".into(), self_url.clone())), "{links:?}");
    }
}

#[tokio::test]
async fn a_feed_reader_polling_with_the_etag_gets_304_until_the_thread_changes() {
    let app = spawn_embedding().await;
    let slug = start_thread(&app, STORY, "AI: the story").await;
    let reader = app.client();
    let first = reader.get(&feed_path(STORY)).await;
    assert_eq!(first.status, StatusCode::OK);
    let tag = first.headers["etag"].to_str().unwrap().to_owned();
    let poll = || reader.http.get(reader.url(&feed_path(STORY))).header("If-None-Match", tag.clone()).send();
    assert_eq!(poll().await.unwrap().status(), StatusCode::NOT_MODIFIED);

    let id = app.reader("ada").await.comment(&slug, "News to the feed.").await;
    let changed = poll().await.unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    assert_eq!(read_feed(&changed.text().await.unwrap()).2, [permalink(id)]);
}

#[tokio::test]
async fn an_address_without_a_thread_or_on_a_site_that_may_not_embed_is_not_found_and_starts_nothing() {
    let app = spawn_embedding().await;
    let reader = app.client();
    for url in [STORY, "https://evil.example/2026/ai-story", "https://news.example.com:8443/2026/ai-story"] {
        let response = reader.get(&feed_path(url)).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{url}: {}", response.text);
        response.assert_contains("No discussion has started for that address");
    }
    assert!(embeds::threads(&app.app, Actor::Operator).await.unwrap().is_empty(), "a feed never starts a thread");

    // The first view of the embed still starts the thread, named by the embed, and then its
    // feed is there.
    start_thread(&app, STORY, "AI: the story").await;
    let (title, _, entries) = read_feed(&reader.get(&feed_path(STORY)).await.text);
    assert_eq!(title, "AI: the story: comments");
    assert!(entries.is_empty());

    for (path, status) in [
        ("/embed/comments.atom".to_owned(), StatusCode::BAD_REQUEST),
        (feed_path(""), StatusCode::BAD_REQUEST),
        (feed_path("not an address"), StatusCode::UNPROCESSABLE_ENTITY),
        (feed_path("javascript:alert(1)"), StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        assert_eq!(reader.get(&path).await.status, status, "{path}");
    }
}

#[tokio::test]
async fn the_noscript_link_leads_to_civils_page_for_the_thread_which_links_back_to_the_article() {
    let app = spawn_embedding().await;
    let reader = app.client();
    let path =
        format!("/embed/discussion?url={}&title={}", urlencoding::encode(STORY), urlencoding::encode("AI: the story"));
    let first = reader.get(&path).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.text);
    let slug = start_thread(&app, STORY, "Another title").await;
    assert_eq!(first.location(), format!("/articles/{slug}"), "the link started the thread the embed then found");
    let page = reader.get(first.location()).await;
    page.assert_contains("AI: the story");
    page.assert_contains(&format!("href=\"{STORY}\""));

    let refused = reader.get(&format!("/embed/discussion?url={}", urlencoding::encode("https://evil.example/a"))).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(embeds::threads(&app.app, Actor::Operator).await.unwrap().len(), 1);
}
