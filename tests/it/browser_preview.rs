//! The live masking notice and preview under the comment forms, in Chromium.

use std::time::Duration;

use fantoccini::{Client, Locator};

use crate::browser::{browser, click, fill, text_of};
use crate::helpers::*;

/// The text of `css` once it contains `want` (the notice follows typing after a pause), or what
/// it held when the wait ran out.
async fn text_containing(c: &Client, css: &str, want: &str) -> String {
    let mut text = String::new();
    for _ in 0..100 {
        text = text_of(c, css).await;
        if text.contains(want) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    text
}

#[tokio::test]
async fn typing_shows_which_words_will_be_masked_before_posting() {
    let Some((c, _driver)) = browser().await else { return };
    let app = spawn().await;
    app.article("budget").await;
    app.create_user("ada", civil::domain::role::Role::Reader).await;

    c.goto(&format!("{}/signin?next=/articles/budget", app.address)).await.unwrap();
    fill(&c, "#login", "ada").await;
    fill(&c, "#password", PASSWORD).await;
    click(&c, "section.auth button[type=submit]").await;

    fill(&c, "#comment-form-body", "What a fucking mess").await;
    let notice = text_containing(&c, "#comment-form .preview-notice", "will be masked").await;
    assert_eq!(notice, "These words will be masked: f******");
    let region = c.find(Locator::Css("#comment-form .preview-notice")).await.unwrap();
    assert_eq!(region.attr("aria-live").await.unwrap().as_deref(), Some("polite"));
    // Nothing is posted by typing.
    assert_eq!(app.client().thread("budget", "").await.body["total"], 0);

    // The rendered markdown, behind the Preview button.
    fill(&c, "#comment-form-body", "What a **fucking** mess, says Dick Cheney").await;
    click(&c, "#comment-form button.preview-toggle").await;
    let preview = text_containing(&c, "#comment-form .preview", "Cheney").await;
    assert_eq!(preview, "What a f****** mess, says Dick Cheney");
    let bold = c.find(Locator::Css("#comment-form .preview strong")).await.unwrap();
    assert_eq!(bold.text().await.unwrap(), "f******");

    // A word the site refuses is said before posting, with the post's own message.
    app.site_settings(|s| s.words.banned = vec!["gammon".into()]).await;
    fill(&c, "#comment-form-body", "Typical gammon").await;
    let notice = text_containing(&c, "#comment-form .preview-notice", "does not accept").await;
    assert!(notice.contains("This site does not accept the word “gammon” in comments."), "{notice}");

    // The edit form says the same.
    fill(&c, "#comment-form-body", "Posted clean.").await;
    click(&c, "#comment-form button[type=submit]").await;
    // Posted in place: wait until the page shows it before asking the API.
    text_containing(&c, ".thread-body", "Posted clean.").await;
    let id = app.client().thread("budget", "").await.body["comments"][0]["id"].as_i64().unwrap();
    c.goto(&format!("{}/comments/{id}/edit", app.address)).await.unwrap();
    fill(&c, "textarea[name=body]", "Edited into shit").await;
    let notice = text_containing(&c, ".preview-notice", "will be masked").await;
    assert_eq!(notice, "These words will be masked: s***");
    c.close().await.unwrap();
}
