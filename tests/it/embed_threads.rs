//! Embedding, the core: external threads keyed by the normalised article address, created by
//! the first view from an allowed site; the discussion fragment; the admins' sites and threads.

use civil::domain::canonical_url::Origin;
use civil::domain::role::Role;
use civil::services::{embeds, Actor};
use reqwest::StatusCode;

use crate::helpers::*;

const STORY: &str = "https://news.example.com/2026/ai-story";

async fn spawn_embedding() -> TestApp {
    spawn_with(|s| s.embed_origins = vec![Origin::parse("https://news.example.com").unwrap()]).await
}

fn embed_path(url: &str, title: Option<&str>) -> String {
    let mut path = format!("/embed/thread?url={}", urlencoding::encode(url));
    if let Some(title) = title {
        path.push_str(&format!("&title={}", urlencoding::encode(title)));
    }
    path
}

async fn external_threads(app: &TestApp) -> Vec<civil::services::articles::Article> {
    embeds::threads(&app.app, Actor::Operator).await.unwrap()
}

#[tokio::test]
async fn the_first_view_from_an_allowed_site_starts_the_thread_and_every_spelling_of_the_address_finds_it() {
    let app = spawn_embedding().await;
    let reader = app.client();
    let first = reader
        .get(&embed_path("HTTPS://News.Example.com:443/2026/ai-story?utm_source=feed#comments", Some("AI: the story")))
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    first.assert_contains("Discussion (0)");
    first.assert_contains("Profanity is auto-masked. Be civil.");
    first.assert_contains("Join the Conversation");
    first.assert_lacks("<html");
    assert!(first.headers["content-type"].to_str().unwrap().starts_with("text/html"));

    for spelling in
        [STORY, "https://news.example.com/2026/ai-story#top", "https://NEWS.example.com/2026/ai-story?fbclid=1"]
    {
        let again = reader.get(&embed_path(spelling, Some("A different title"))).await;
        assert_eq!(again.status, StatusCode::OK);
        again.assert_lacks("A different title");
    }
    let threads = external_threads(&app).await;
    assert_eq!(threads.len(), 1, "one thread for every spelling");
    assert_eq!(threads[0].canonical_url.as_deref(), Some(STORY));
    assert_eq!(threads[0].title, "AI: the story", "the first view names it; later ones do not rename it");

    // Civil's own page for the thread links back to the article and has no body of its own.
    let page = reader.get(&format!("/articles/{}", threads[0].slug)).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains(&format!("href=\"{STORY}\""));
    page.assert_contains("AI: the story");
    page.assert_contains("Discussion (0)");
    // It is not one of Civil's own articles: the front page does not list it.
    reader.get("/").await.assert_lacks("AI: the story");
}

#[tokio::test]
async fn without_a_title_the_thread_is_named_from_the_address() {
    let app = spawn_embedding().await;
    let page = app.client().get(&embed_path("https://news.example.com/2026/city-budget-vote.html", None)).await;
    assert_eq!(page.status, StatusCode::OK);
    let threads = external_threads(&app).await;
    assert_eq!(threads[0].title, "City budget vote");
    assert_eq!(threads[0].slug, "city-budget-vote");
    // Another article with the same last segment gets its own, unique slug.
    app.client().get(&embed_path("https://news.example.com/2025/city-budget-vote.html", None)).await;
    let mut slugs: Vec<String> = external_threads(&app).await.into_iter().map(|t| t.slug).collect();
    slugs.sort();
    assert_eq!(slugs, ["city-budget-vote", "city-budget-vote-2"]);
}

#[tokio::test]
async fn a_page_on_a_site_that_is_not_allowed_is_refused_and_starts_nothing() {
    let app = spawn_embedding().await;
    let reader = app.client();
    let refused = reader.get(&embed_path("https://evil.example/2026/ai-story", Some("Spam"))).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    refused.assert_contains("https://evil.example may not embed");
    // Another port is another origin.
    assert_eq!(reader.get(&embed_path("https://news.example.com:8443/a", None)).await.status, StatusCode::FORBIDDEN);
    for malformed in ["not a url", "javascript:alert(1)", "/2026/ai-story", "https://user:pw@news.example.com/a"] {
        let page = reader.get(&embed_path(malformed, None)).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{malformed}");
        page.assert_contains("not an article address");
    }
    let missing = reader.get("/embed/thread").await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    missing.assert_contains("Give the article's address");
    assert!(external_threads(&app).await.is_empty());
}

#[tokio::test]
async fn admins_allow_sites_whose_meaningful_query_parameters_are_kept() {
    let app = spawn_embedding().await;
    let admin = app.signed_in("chief", Role::Admin).await;
    let reader = app.client();
    let story = |query: &str| embed_path(&format!("https://old.example/story.php?{query}"), None);
    assert_eq!(reader.get(&story("id=42")).await.status, StatusCode::FORBIDDEN);

    let added =
        admin.submit("/admin/sites", "/admin/sites", &[("origin", "https://Old.example/"), ("params", "id")]).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text);
    let list = admin.get("/admin/sites").await;
    list.assert_contains("https://old.example");
    list.assert_contains("https://news.example.com");
    let twice = admin.submit("/admin/sites", "/admin/sites", &[("origin", "https://old.example")]).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    let bad = admin.submit("/admin/sites", "/admin/sites", &[("origin", "https://old.example/some/page")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    assert_eq!(reader.get(&story("id=42&utm_source=x")).await.status, StatusCode::OK);
    assert_eq!(reader.get(&story("utm_source=y&id=42")).await.status, StatusCode::OK);
    assert_eq!(reader.get(&story("id=43")).await.status, StatusCode::OK);
    let mut urls: Vec<String> = external_threads(&app).await.into_iter().filter_map(|t| t.canonical_url).collect();
    urls.sort();
    assert_eq!(urls, ["https://old.example/story.php?id=42", "https://old.example/story.php?id=43"]);

    let site = embeds::sites(&app.app).await.unwrap().into_iter().find(|s| s.origin.as_str() == "https://old.example");
    let id = site.unwrap().id.unwrap();
    let removed = admin.submit("/admin/sites", &format!("/admin/sites/{id}/delete"), &[]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert_eq!(reader.get(&story("id=44")).await.status, StatusCode::FORBIDDEN);
    assert_eq!(external_threads(&app).await.len(), 2, "its threads stay");
}

#[tokio::test]
async fn the_fragment_links_to_civil_and_a_comment_posted_from_it_comes_back_to_the_article() {
    let app = spawn_embedding().await;
    let base = app.app.settings.base_url.clone();
    let anonymous = app.client();
    anonymous.get(&embed_path(STORY, Some("AI story"))).await;
    let slug = external_threads(&app).await[0].slug.clone();

    let reader = app.reader("ada").await;
    let fragment = reader.get(&embed_path(STORY, None)).await;
    fragment.assert_contains(&format!("action=\"{base}/articles/{slug}/comments\""));
    fragment.assert_contains(&format!("name=\"return\" value=\"{STORY}\""));
    fragment.assert_contains(&format!("action=\"{base}/newsletter\""));
    let token = fragment.csrf();
    let posted = reader
        .post_form(
            &format!("/articles/{slug}/comments"),
            &[("csrf_token", &token), ("body", "Posted from the publisher's page."), ("return", STORY)],
        )
        .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.text);
    let (back, anchor) = posted.location().split_once('#').unwrap();
    assert_eq!(back, STORY);
    assert!(anchor.starts_with("comment-"));

    // Only the thread's own address is a way back: anything else lands on Civil's page.
    let elsewhere = reader
        .post_form(
            &format!("/articles/{slug}/comments"),
            &[
                ("csrf_token", &token),
                ("body", "Another one, with a forged return."),
                ("return", "https://evil.example/"),
            ],
        )
        .await;
    assert_eq!(elsewhere.status, StatusCode::SEE_OTHER);
    assert!(
        elsewhere.location().starts_with(&format!("/articles/{slug}?sort=oldest&posted=")),
        "{}",
        elsewhere.location()
    );

    let seen = anonymous.get(&embed_path(STORY, None)).await;
    seen.assert_contains("Discussion (2)");
    seen.assert_contains("Posted from the publisher's page.");
    seen.assert_contains(&format!("href=\"{base}/signin?next="));
    seen.assert_contains(&format!("href=\"{base}/comments/"));
    seen.assert_lacks("href=\"/comments/");
    // Civil's own page keeps links by path (its rendering is cached apart from the fragment's).
    let page = anonymous.get(&format!("/articles/{slug}")).await;
    page.assert_contains("href=\"/comments/");
    page.assert_lacks(&format!("href=\"{base}/comments/"));
}

#[tokio::test]
async fn scripts_on_allowed_sites_may_read_the_fragment() {
    let app = spawn_embedding().await;
    let client = app.client();
    let read = |origin: &'static str| {
        let request = client.http.get(client.url(&embed_path(STORY, None))).header("Origin", origin);
        async move { request.send().await.unwrap() }
    };
    let allowed = read("https://news.example.com").await;
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://news.example.com");
    assert!(allowed.headers().get("access-control-allow-credentials").is_none());
    let other = read("https://evil.example").await;
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn admins_rename_move_merge_and_close_external_threads() {
    let app = spawn_embedding().await;
    let admin = app.signed_in("chief", Role::Admin).await;
    let reader = app.reader("ada").await;
    let other_story = "https://news.example.com/2026/ai-follow-up";
    reader.get(&embed_path(STORY, Some("AI story"))).await;
    reader.get(&embed_path(other_story, Some("AI follow-up"))).await;
    let threads = external_threads(&app).await;
    let a = threads.iter().find(|t| t.canonical_url.as_deref() == Some(STORY)).unwrap().clone();
    let b = threads.iter().find(|t| t.canonical_url.as_deref() == Some(other_story)).unwrap().clone();
    let root = reader.comment(&a.slug, "First on A.").await;
    let reply = reader.reply(&a.slug, root, "A reply on A.").await;
    let on_b = reader.comment(&b.slug, "First on B.").await;

    let renamed =
        admin.submit("/admin/threads", &format!("/admin/threads/{}/rename", a.id), &[("title", "AI, renamed")]).await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER, "{}", renamed.text);
    app.client().get(&format!("/articles/{}", a.slug)).await.assert_contains("AI, renamed");

    let clash = admin.submit("/admin/threads", &format!("/admin/threads/{}/move", a.id), &[("url", other_story)]).await;
    assert_eq!(clash.status, StatusCode::CONFLICT);
    clash.assert_contains("Another thread already has that address");
    let off_site = admin
        .submit("/admin/threads", &format!("/admin/threads/{}/move", a.id), &[("url", "https://evil.example/a")])
        .await;
    assert_eq!(off_site.status, StatusCode::UNPROCESSABLE_ENTITY);
    off_site.assert_contains("https://evil.example may not embed: allow the site first.");
    let moved_to = "https://news.example.com/2026/ai-story-updated";
    let moved = admin
        .submit("/admin/threads", &format!("/admin/threads/{}/move", a.id), &[("url", &format!("{moved_to}#x"))])
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.text);
    let at_new_address = app.client().get(&embed_path(moved_to, None)).await;
    at_new_address.assert_contains("Discussion (2)");
    at_new_address.assert_contains("A reply on A.");

    let merged =
        admin.submit("/admin/threads", &format!("/admin/threads/{}/merge", a.id), &[("into", &b.id.to_string())]).await;
    assert_eq!(merged.status, StatusCode::SEE_OTHER, "{}", merged.text);
    assert_eq!(app.client().get(&format!("/articles/{}", a.slug)).await.status, StatusCode::NOT_FOUND);
    let thread = app.client().thread(&b.slug, "").await;
    assert_eq!(ids(&thread.body["comments"]), [root, reply, on_b], "the tree is kept, oldest first");
    assert_eq!(thread.body["comments"][0]["replies"][0]["id"], reply);
    let fragment = app.client().get(&embed_path(other_story, None)).await;
    fragment.assert_contains("Discussion (3)");
    fragment.assert_contains("A reply on A.");
    assert_eq!(external_threads(&app).await.len(), 1);
    // A reply to a merged comment lands in its new thread.
    reader.reply(&b.slug, root, "Still replying.").await;
    app.client().get(&embed_path(other_story, None)).await.assert_contains("Discussion (4)");

    let log = admin.get("/moderation/log").await;
    for entry in ["Thread renamed", "Thread moved", "Threads merged"] {
        log.assert_contains(entry);
    }

    let closed = admin.submit("/admin/threads", &format!("/moderation/articles/{}/close", b.slug), &[]).await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER);
    app.client().get(&embed_path(other_story, None)).await.assert_contains("The discussion on this article is closed.");
    admin.get("/admin/threads").await.assert_contains("Reopen discussion");
}
