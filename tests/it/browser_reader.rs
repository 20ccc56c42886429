//! A reader on page 2 of a 60-comment thread posts, replies, edits, deletes, votes and flags
//! in Chromium, with JavaScript on (everything in place, no reload) and off (plain forms), and
//! after each action sees the result where they acted; a rejected post keeps its draft beside
//! the form with the error. One browser session per test: the machine is shared.

use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::json;

use crate::browser::{browser, browser_with, click, fill, text_of};
use crate::helpers::*;

struct Thread {
    app: TestApp,
    /// The top-level comments, in order: 50 on page 1, 10 on page 2.
    ids: Vec<i64>,
    page_two: String,
}

async fn thread_of_sixty() -> Thread {
    let app = spawn().await;
    app.article("busy").await;
    app.site_settings(|s| s.words.banned = vec!["gammon".into()]).await;
    let writer = app.reader("writer").await;
    let mut ids = Vec::new();
    for i in 0..60 {
        ids.push(writer.comment("busy", &format!("Top-level comment number {i}.")).await);
    }
    app.create_user("ada", civil::domain::role::Role::Reader).await;
    let page_two = format!("{}/articles/busy?sort=oldest&after={}", app.address, ids[49]);
    Thread { app, ids, page_two }
}

async fn sign_in(c: &Client, app: &TestApp) {
    c.goto(&format!("{}/signin", app.address)).await.unwrap();
    fill(c, "#login", "ada").await;
    fill(c, "#password", PASSWORD).await;
    click(c, "section.auth button[type=submit]").await;
    c.wait().for_element(Locator::Css("form.inline[action='/signout']")).await.unwrap();
}

/// Wait until the element's text contains `needle`.
async fn until_text(c: &Client, css: &str, needle: &str) -> String {
    let mut last = String::new();
    for _ in 0..100 {
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

/// The comment id in the address's fragment (`#comment-7`).
async fn landed_on(c: &Client) -> i64 {
    let url = c.current_url().await.unwrap();
    let fragment = url.fragment().unwrap_or_default().to_owned();
    fragment.strip_prefix("comment-").and_then(|id| id.parse().ok()).unwrap_or_else(|| panic!("landed at {url}"))
}

async fn on_page_two(c: &Client, t: &Thread) {
    let url = c.current_url().await.unwrap();
    assert!(url.as_str().contains(&format!("after={}", t.ids[49])), "left page two: {url}");
    let page = c.source().await.unwrap();
    assert!(page.contains("Top-level comment number 55."), "page two is shown");
    assert!(!page.contains("Top-level comment number 5."), "page one is not");
}

async fn active_id(c: &Client) -> String {
    let v = c.execute("return document.activeElement && document.activeElement.id || ''", vec![]).await.unwrap();
    v.as_str().unwrap_or_default().to_owned()
}

async fn reloads(c: &Client) -> bool {
    c.execute("return !window.__stayed", vec![]).await.unwrap() != json!(false)
}

#[tokio::test]
async fn with_javascript_every_action_on_page_two_happens_in_place() {
    let Some((c, _driver)) = browser().await else { return };
    let t = thread_of_sixty().await;
    sign_in(&c, &t.app).await;
    c.goto(&t.page_two).await.unwrap();
    c.execute("window.__stayed = true", vec![]).await.unwrap();

    // A rejected post: the draft stays in the form at the top, the error beside it, focused.
    fill(&c, "#comment-form-body", "You absolute gammon.").await;
    click(&c, "#comment-form button[type=submit]").await;
    until_text(&c, "#comment-form-error", "").await;
    let draft = c.find(Locator::Css("#comment-form-body")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(draft.as_deref(), Some("You absolute gammon."));
    assert_eq!(active_id(&c).await, "comment-form-body");

    // Post: shown, focused and announced on page two.
    fill(&c, "#comment-form-body", "Written on page two, in place.").await;
    click(&c, "#comment-form button[type=submit]").await;
    until_text(&c, "#landed", "Your comment is posted.").await;
    let mine = landed_on(&c).await;
    assert_eq!(active_id(&c).await, format!("comment-{mine}"));
    assert!(text_of(&c, &format!("#comment-{mine} .body")).await.contains("Written on page two, in place."));
    on_page_two(&c, &t).await;

    // Reply inline under comment 55.
    let parent = t.ids[55];
    click(&c, &format!("#comment-{parent} a.reply")).await;
    fill(&c, &format!("#reply-{parent}-body"), "A reply, in place.").await;
    click(&c, &format!("#reply-{parent} button[type=submit]")).await;
    until_text(&c, &format!("#comment-{parent} ~ ol.replies .landed"), "Your comment is posted.").await;
    let reply = landed_on(&c).await;
    assert!(text_of(&c, &format!("#comment-{parent} ~ ol.replies #comment-{reply}"))
        .await
        .contains("A reply, in place."));
    assert_eq!(active_id(&c).await, format!("comment-{reply}"));

    // Edit my comment in place.
    click(&c, &format!("#comment-{mine} a.edit")).await;
    fill(&c, &format!("#edit-{mine}"), "Edited on page two, in place.").await;
    click(&c, &format!("#comment-{mine} form.edit-inline button[type=submit]")).await;
    until_text(&c, "#landed", "Your edit is saved.").await;
    assert!(text_of(&c, &format!("#comment-{mine} .body")).await.contains("Edited on page two, in place."));

    // Delete the reply: a step in the page asks first.
    click(&c, &format!("#comment-{reply} details.delete summary")).await;
    click(&c, &format!("#comment-{reply} .delete-form button[type=submit]")).await;
    until_text(&c, "#landed", "Your comment is deleted.").await;
    assert!(c.find(Locator::Css(&format!("#comment-{reply}"))).await.is_err());

    // Vote and flag comment 57.
    let target = t.ids[57];
    click(&c, &format!("#comment-{target} button.vote")).await;
    for _ in 0..50 {
        let pressed = c
            .find(Locator::Css(&format!("#comment-{target} button.vote")))
            .await
            .unwrap()
            .attr("aria-pressed")
            .await
            .unwrap();
        if pressed.as_deref() == Some("true") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    click(&c, &format!("#comment-{target} details.flag summary")).await;
    click(&c, &format!("#flag-{target}-spam")).await;
    click(&c, &format!("#comment-{target} .flag-form button[type=submit]")).await;
    until_text(&c, &format!("#comment-{target} .flagged"), "you flagged this comment").await;

    on_page_two(&c, &t).await;

    // Back to the first page, more comments and another order, all in place.
    click(&c, "#comments a[rel=prev]").await;
    until_text(&c, "ol.thread", "Top-level comment number 5.").await;
    assert!(!c.current_url().await.unwrap().as_str().contains("after="));
    click(&c, "#comments a[data-more]").await;
    until_text(&c, "ol.thread", "Top-level comment number 55.").await;
    assert!(text_of(&c, "ol.thread").await.contains("Top-level comment number 5."), "more comments add to the page");
    click(&c, "nav.sort a[href*='sort=newest']").await;
    until_text(&c, "nav.sort strong", "Newest").await;
    assert!(c.current_url().await.unwrap().as_str().contains("sort=newest"));

    // Subscribing to the newsletter from the article answers where the form was.
    fill(&c, "#newsletter-email", "ada.news@example.com").await;
    click(&c, "#newsletter button[type=submit]").await;
    until_text(&c, "#newsletter .landed", "Check your inbox").await;
    assert!(!reloads(&c).await, "nothing reloaded the page");
    c.close().await.unwrap();
    t.app.deliver().await;
    assert_eq!(t.app.smtp.to("ada.news@example.com").len(), 1, "the confirmation went out");
}

#[tokio::test]
async fn without_javascript_every_action_on_page_two_lands_back_on_page_two() {
    let prefs = json!({"profile.managed_default_content_settings.javascript": 2});
    let Some((c, _driver)) = browser_with(prefs).await else { return };
    let t = thread_of_sixty().await;
    sign_in(&c, &t.app).await;
    c.goto(&t.page_two).await.unwrap();
    // The composer comes first; page two links back.
    assert!(c.find(Locator::Css("#comments a[rel=prev]")).await.is_ok());

    // A rejected post keeps the draft beside the form, with the error, on page two.
    fill(&c, "#comment-form-body", "You absolute gammon.").await;
    click(&c, "#comment-form button[type=submit]").await;
    until_text(&c, "#comment-form-error", "").await;
    let draft = c.find(Locator::Css("#comment-form-body")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(draft.as_deref(), Some("You absolute gammon."));
    assert!(c.source().await.unwrap().contains("Top-level comment number 55."));

    fill(&c, "#comment-form-body", "Written on page two, no script.").await;
    click(&c, "#comment-form button[type=submit]").await;
    until_text(&c, "#landed", "Your comment is posted.").await;
    let mine = landed_on(&c).await;
    on_page_two(&c, &t).await;

    let parent = t.ids[55];
    click(&c, &format!("#comment-{parent} a.reply")).await;
    fill(&c, &format!("#reply-{parent}-body"), "A reply, no script.").await;
    click(&c, &format!("#reply-{parent} button[type=submit]")).await;
    until_text(&c, "#landed", "Your comment is posted.").await;
    let reply = landed_on(&c).await;
    on_page_two(&c, &t).await;

    click(&c, &format!("#comment-{mine} a.edit")).await;
    fill(&c, "#body", "Edited on page two, no script.").await;
    click(&c, "section.edit button[type=submit]").await;
    until_text(&c, "#landed", "Your edit is saved.").await;
    assert!(text_of(&c, &format!("#comment-{mine} .body")).await.contains("Edited on page two, no script."));
    on_page_two(&c, &t).await;

    click(&c, &format!("#comment-{reply} details.delete summary")).await;
    click(&c, &format!("#comment-{reply} .delete-form button[type=submit]")).await;
    until_text(&c, "#landed", "Your comment is deleted.").await;
    on_page_two(&c, &t).await;

    let target = t.ids[57];
    click(&c, &format!("#comment-{target} button.vote")).await;
    until_text(&c, "#landed", "Your upvote is counted.").await;
    assert_eq!(landed_on(&c).await, target);
    on_page_two(&c, &t).await;

    // "Something else" with no note asks for the note, keeping the choice; then it is sent.
    click(&c, &format!("#comment-{target} details.flag summary")).await;
    click(&c, &format!("#flag-{target}-other")).await;
    click(&c, &format!("#comment-{target} .flag-form button[type=submit]")).await;
    until_text(&c, &format!("#flag-{target}-error"), "").await;
    fill(&c, &format!("#flag-{target}-note"), "It is an advert.").await;
    click(&c, &format!("#comment-{target} .flag-form button[type=submit]")).await;
    until_text(&c, "#landed", "you flagged this comment").await;
    on_page_two(&c, &t).await;
    c.close().await.unwrap();
}
