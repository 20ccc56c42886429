//! In Chromium: two readers on one article. One posts; the other, reading the page, sees
//! "1 new comment", shows it, and sees a reply arrive under its parent and a removal applied,
//! all without reloading. One browser session: the machine is shared.

use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::json;

use crate::browser::{browser, click, text_of};
use crate::helpers::*;

/// Wait until the element's text contains `needle`.
async fn until_text(c: &Client, css: &str, needle: &str) -> String {
    let mut last = String::new();
    for _ in 0..200 {
        if let Ok(el) = c.find(Locator::Css(css)).await {
            last = el.text().await.unwrap_or_default();
            if last.contains(needle) {
                return last;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} never said {needle:?}; it said {last:?}");
}

async fn until_gone(c: &Client, css: &str) {
    for _ in 0..200 {
        if c.find(Locator::Css(css)).await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} is still there");
}

#[tokio::test]
async fn a_reader_sees_a_new_comment_arrive_and_shows_it_without_reloading() {
    let app = spawn().await;
    app.article("live").await;
    let writer = app.reader("writer").await;
    let first = writer.comment("live", "Already here when the page loaded.").await;
    app.create_user("ada", civil::domain::role::Role::Reader).await;
    let Some((c, _driver)) = browser().await else { return };

    // Ada reads the article, signed in (her controls come with what arrives).
    c.goto(&format!("{}/signin", app.address)).await.unwrap();
    crate::browser::fill(&c, "#login", "ada").await;
    crate::browser::fill(&c, "#password", PASSWORD).await;
    click(&c, "section.auth button[type=submit]").await;
    c.wait().for_element(Locator::Css("form.inline[action='/signout']")).await.unwrap();
    c.goto(&format!("{}/articles/live", app.address)).await.unwrap();
    c.execute("window.__stayed = true", vec![]).await.unwrap();
    assert!(text_of(&c, "#discussion-heading").await.contains("Discussion (1)"));

    // Bob, the other reader, posts.
    let bob = app.reader("bob").await;
    let new = bob.comment("live", "Bob's comment, posted while Ada reads.").await;
    until_text(&c, "#comments .live-bar", "1 new comment").await;
    until_text(&c, "#discussion-heading", "Discussion (2)").await;
    assert!(c.find(Locator::Css(&format!("#comment-{new}"))).await.is_err(), "waits to be shown");
    click(&c, "#comments .live-bar button").await;
    let shown = until_text(&c, &format!("#comment-{new}"), "Bob's comment").await;
    assert!(shown.contains("Reply"), "with Ada's own controls: {shown}");
    until_text(&c, "#thread-status", "1 new comment shown").await;

    // A reply lands under its parent; a removal is applied in place.
    let reply = bob.reply("live", first, "Bob answers the first comment.").await;
    until_text(&c, "#comments .live-bar", "1 new comment").await;
    click(&c, "#comments .live-bar button").await;
    until_text(&c, &format!("#comment-{first} + ol.replies #comment-{reply}"), "Bob answers").await;
    let moderator = app.signed_in("mira", civil::domain::role::Role::Moderator).await;
    let removed =
        moderator.api_post(&format!("/api/v1/moderation/comments/{new}/remove"), json!({"reason": "spam"})).await;
    assert!(removed.status.is_success(), "{}", removed.body);
    until_gone(&c, &format!("#comment-{new}")).await;
    until_text(&c, "#discussion-heading", "Discussion (2)").await;

    assert_eq!(c.execute("return window.__stayed === true", vec![]).await.unwrap(), json!(true), "never reloaded");
    c.close().await.unwrap();
}
