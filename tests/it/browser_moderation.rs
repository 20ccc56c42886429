//! A moderator in a real browser: clearing the queue from the keyboard and undoing a decision
//! with JavaScript, and every action confirmed (with its Undo) without it.

use std::time::Duration;

use civil::domain::moderation::Premoderation;
use civil::domain::role::Role;
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use serde_json::json;

use crate::browser::{browser, browser_with, click, fill, text_of};
use crate::helpers::*;

/// Three held comments by ada, bob and cy, and a moderator to decide on them.
async fn held_queue(app: &TestApp) -> Vec<i64> {
    app.article("budget").await;
    app.site_settings(|s| s.policy.premoderation = Premoderation::Everyone).await;
    let mut ids = Vec::new();
    for (name, body) in
        [("ada", "Ada's remark on the budget."), ("bob", "Bob's remark on the budget."), ("cyd", "Cyd's remark.")]
    {
        let held = app.reader(name).await.try_comment("budget", body, None).await;
        assert_eq!(held.body["status"], "pending");
        ids.push(held.body["id"].as_i64().unwrap());
    }
    app.create_user("mod1", Role::Moderator).await;
    ids
}

async fn sign_in(c: &Client, app: &TestApp, login: &str) {
    c.goto(&format!("{}/signin", app.address)).await.unwrap();
    fill(c, "#login", login).await;
    fill(c, "#password", PASSWORD).await;
    click(c, "section.auth button[type=submit]").await;
    c.wait().for_element(Locator::Css("form[action='/signout']")).await.unwrap();
}

async fn press(c: &Client, key: &str) {
    c.active_element().await.unwrap().send_keys(key).await.unwrap();
}

/// Wait until the status region says `text`.
async fn status_says(c: &Client, text: &str) {
    for _ in 0..50 {
        if text_of(c, "#queue-status").await.contains(text) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the status never said {text:?}: {:?}", text_of(c, "#queue-status").await);
}

/// Click a form's button without JavaScript, and wait for the page it leads to (its URL has
/// `marker`), so that nothing is read from the page before.
async fn submit(c: &Client, css: &str, marker: &str) {
    let before = c.current_url().await.unwrap();
    click(c, css).await;
    for _ in 0..100 {
        let now = c.current_url().await.unwrap();
        if now != before && now.as_str().contains(marker) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{css} did not lead to a page with {marker:?}");
}

async fn pending_ids(moderator: &crate::helpers::Client) -> Vec<i64> {
    let queue = moderator.api_get("/api/v1/moderation/queue?tab=pending").await;
    queue.body["items"].as_array().unwrap().iter().map(|i| i["comment_id"].as_i64().unwrap()).collect()
}

async fn shown_items(c: &Client) -> usize {
    c.find_all(Locator::Css(".queue-item:not(.leaving)")).await.unwrap().len()
}

#[tokio::test]
async fn a_moderator_clears_the_queue_from_the_keyboard_and_undoes_a_decision() {
    let Some((c, _driver)) = browser().await else { return };
    let app = spawn().await;
    let ids = held_queue(&app).await;
    let mut api = app.client();
    api.sign_in("mod1", PASSWORD).await;
    sign_in(&c, &app, "mod1").await;
    c.goto(&format!("{}/moderation", app.address)).await.unwrap();
    let names = c.find_all(Locator::Css("article.queue-item")).await.unwrap();
    let mut labels = Vec::new();
    for item in &names {
        labels.push(item.attr("aria-label").await.unwrap().unwrap());
    }
    assert_eq!(labels[0], "Comment by @ada: Ada's remark on the budget.");
    assert_eq!(labels.len(), 3);

    press(&c, "j").await;
    // `d` on an item without flags does nothing, and says why.
    press(&c, "d").await;
    status_says(&c, "Nothing to dismiss: this comment has no open flags.").await;
    // `r` opens the remove panel on the reason; Escape closes it and goes back to its summary.
    press(&c, "r").await;
    assert!(c.find(Locator::Css("#item-1 details.remove[open]")).await.is_ok());
    assert_eq!(c.active_element().await.unwrap().attr("name").await.unwrap().as_deref(), Some("reason"));
    press(&c, &Key::Escape.to_string()).await;
    assert!(c.find(Locator::Css("#item-1 details.remove[open]")).await.is_err(), "Escape closed the panel");
    assert_eq!(c.active_element().await.unwrap().text().await.unwrap(), "Remove…");

    // Approve the first (the panel's summary is still in it); undo it; it comes back, held again.
    press(&c, "a").await;
    status_says(&c, "Approved the comment by @ada.").await;
    assert_eq!(pending_ids(&api).await, ids[1..].to_vec());
    click(&c, "#queue-status button.undo").await;
    status_says(&c, "Undone: the comment by @ada is back as before.").await;
    assert_eq!(pending_ids(&api).await, ids);
    assert_eq!(shown_items(&c).await, 3);
    assert_eq!(c.active_element().await.unwrap().attr("id").await.unwrap().as_deref(), Some("item-1"));

    // Now clear the queue: a, a, a, each moving on to the next item.
    for (n, who) in ["ada", "bob", "cyd"].iter().enumerate() {
        press(&c, "a").await;
        status_says(&c, &format!("Approved the comment by @{who}.")).await;
        assert_eq!(pending_ids(&api).await, ids[n + 1..].to_vec());
    }
    for _ in 0..50 {
        if c.find(Locator::Css("p.empty")).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(text_of(&c, "p.empty").await, "Nothing left on this page.");
    assert_eq!(app.client().thread("budget", "").await.body["total"], 3);
    assert_eq!(text_of(&c, "nav.tabs a[aria-current] .count").await, "0");
    c.close().await.unwrap();
}

#[tokio::test]
async fn without_javascript_each_action_confirms_what_it_did() {
    let no_js = json!({"profile.managed_default_content_settings.javascript": 2});
    let Some((c, _driver)) = browser_with(no_js).await else { return };
    let app = spawn().await;
    let ids = held_queue(&app).await;
    sign_in(&c, &app, "mod1").await;
    c.goto(&format!("{}/moderation", app.address)).await.unwrap();

    submit(&c, &format!("#item-{} form[data-action=approve] button", ids[0]), "done=").await;
    assert_eq!(
        text_of(&c, "#queue-status .banner").await.lines().collect::<Vec<_>>(),
        ["Approved the comment by @ada.", "Undo"]
    );
    submit(&c, "#queue-status form.undo button", "undone=").await;
    assert_eq!(text_of(&c, "#queue-status").await, "Undone: the comment by @ada is back as before.");
    assert!(c.find(Locator::Css(&format!("#item-{}", ids[0]))).await.is_ok(), "back in the queue");

    click(&c, &format!("#item-{} details.remove summary", ids[1])).await;
    c.find(Locator::Css(&format!("#remove-{}-reason", ids[1]))).await.unwrap().select_by_value("spam").await.unwrap();
    submit(&c, &format!("#item-{} form[data-action=remove] button[type=submit]", ids[1]), "done=").await;
    assert!(text_of(&c, "#queue-status").await.starts_with("Removed the comment by @bob."));
    assert!(c.find(Locator::Css("#queue-status form.undo button")).await.is_ok());

    // A flagged comment's flags dismissed: it comes back to readers, and the page says so.
    let admin = app.signed_in("chief", Role::Admin).await;
    admin.api_post(&format!("/api/v1/moderation/comments/{}/approve", ids[2]), json!({})).await;
    let flagger = app.reader("dee").await;
    flagger.api_post(&format!("/api/v1/comments/{}/flags", ids[2]), json!({"reason": "spam"})).await;
    c.goto(&format!("{}/moderation?tab=reported", app.address)).await.unwrap();
    submit(&c, &format!("#item-{} form[data-action=dismiss-flags] button", ids[2]), "done=").await;
    assert!(text_of(&c, "#queue-status").await.starts_with("Dismissed the flags on the comment by @cyd."));
    let ada = civil::services::accounts::find_by_username(&app.app, "ada").await.unwrap().id;
    c.goto(&format!("{}/moderation", app.address)).await.unwrap();
    submit(&c, &format!("form[action='/moderation/users/{ada}/review'] button"), "notice=review-on").await;
    assert!(text_of(&c, "#queue-status").await.contains("this author's comments wait here for a decision"));
    c.close().await.unwrap();
}
