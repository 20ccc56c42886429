//! Moderators and editors over HTTP: every queue action confirms what it did and can be undone
//! for a few seconds (really restoring the comment, and logged), with and without JavaScript;
//! queue items have names of their own; the newsletter editor's live preview, its counts, its
//! "sent", and the site's name in its e-mails.

use civil::domain::role::Role;
use civil::services::moderation::UNDO_SECONDS;
use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

async fn trusted(app: &TestApp) {
    app.site_settings(|s| {
        s.policy.new_commenter_comments = 0;
        s.policy.new_commenter_days = 0;
    })
    .await;
}

async fn queue(client: &Client, tab: &str) -> Value {
    let page = client.api_get(&format!("/api/v1/moderation/queue?tab={tab}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.body
}

fn item(queue: &Value, id: i64) -> Option<Value> {
    queue["items"].as_array().unwrap().iter().find(|i| i["comment_id"] == id).cloned()
}

async fn always_review(app: &TestApp, moderator: &Client, username: &str) {
    let id = civil::services::accounts::find_by_username(&app.app, username).await.unwrap().id;
    let on = moderator.api_post(&format!("/api/v1/moderation/users/{id}/review"), json!({})).await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.body);
}

/// A reader whose address is verified and who wants to hear about replies.
async fn notified_reader(app: &TestApp, name: &str) -> Client {
    let client = app.reader(name).await;
    {
        use civil::store::schema::users;
        let mut conn = app.app.pool.get().unwrap();
        diesel::update(users::table.filter(users::username.eq(name)))
            .set(users::email_verified_at.eq(Some(app.app.clock.now())))
            .execute(&mut conn)
            .unwrap();
    }
    let profile = client.get(&format!("/users/{name}")).await;
    let on = client.post_form("/account/notifications", &[("csrf_token", &profile.csrf()), ("on", "1")]).await;
    assert_eq!(on.status, StatusCode::SEE_OTHER, "{}", on.text);
    client
}

/// A reader's flags upheld, flags dismissed, and approved comments.
fn user_counts(app: &TestApp, name: &str) -> (i64, i64, i64) {
    use civil::store::schema::users;
    let mut conn = app.app.pool.get().unwrap();
    users::table
        .filter(users::username.eq(name))
        .select((users::flags_upheld, users::flags_dismissed, users::approved_comments))
        .first(&mut conn)
        .unwrap()
}

async fn log_entries(client: &Client, query: &str) -> Vec<Value> {
    let log = client.api_get(&format!("/api/v1/moderation/log{query}")).await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.body);
    log.body["entries"].as_array().unwrap().clone()
}

#[tokio::test]
async fn an_undone_approval_puts_the_held_reply_back_and_tells_nobody() {
    let app = spawn().await;
    app.article("budget").await;
    trusted(&app).await;
    let ada = notified_reader(&app, "ada").await;
    let bob = app.reader("bob").await;
    let moderator = app.signed_in("mod1", Role::Moderator).await;
    let parent = ada.comment("budget", "What does everyone think?").await;
    always_review(&app, &moderator, "bob").await;
    let held = bob.try_comment("budget", "A held thought from bob.", Some(parent)).await;
    assert_eq!(held.body["status"], "pending");
    let id = held.body["id"].as_i64().unwrap();
    let reasons = item(&queue(&moderator, "pending").await, id).expect("held")["reasons"].clone();
    assert!(!reasons.as_array().unwrap().is_empty());
    app.deliver().await;
    let mails_before = app.smtp.to("ada@example.com").len();

    let approved = moderator.api_post(&format!("/api/v1/moderation/comments/{id}/approve"), json!({})).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    assert_eq!(approved.body["message"], "Approved the comment by @bob.");
    assert_eq!(approved.body["undo_seconds"], UNDO_SECONDS);
    let token = approved.body["undo"].as_str().unwrap().to_owned();
    app.client().get("/articles/budget").await.assert_contains("A held thought from bob.");
    assert_eq!(user_counts(&app, "bob").2, 1);

    let undone = moderator.api_post(&format!("/api/v1/moderation/undo/{token}"), json!({})).await;
    assert_eq!(undone.status, StatusCode::OK, "{}", undone.body);
    assert_eq!(undone.body["message"], "Undone: the comment by @bob is back as before.");
    assert_eq!(undone.body["undone"], 1);
    app.client().get("/articles/budget").await.assert_lacks("A held thought from bob.");
    let back = item(&queue(&moderator, "pending").await, id).expect("back in the pending tab");
    assert_eq!(back["status"], "pending");
    assert_eq!(back["reasons"], reasons, "the rules' reasons are back");
    assert!(item(&queue(&moderator, "approved").await, id).is_none());
    assert_eq!(user_counts(&app, "bob").2, 0, "the approval no longer counts");
    let log = log_entries(&moderator, "?action=undo").await;
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["comment_id"], id);
    assert_eq!(log[0]["reason"], "approve");

    // The reply notification waited out the window, and the undo cancelled it.
    app.advance(chrono::TimeDelta::seconds(UNDO_SECONDS + 1));
    app.deliver().await;
    assert_eq!(app.smtp.to("ada@example.com").len(), mails_before, "nobody hears of an undone approval");

    let again = moderator.api_post(&format!("/api/v1/moderation/undo/{token}"), json!({})).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
}

#[tokio::test]
async fn an_undone_removal_reopens_the_flags_and_the_flaggers_records() {
    let app = spawn().await;
    app.article("budget").await;
    trusted(&app).await;
    let author = app.reader("author").await;
    let id = author.comment("budget", "A contested claim about the budget.").await;
    for name in ["flagger1", "flagger2", "flagger3"] {
        let flagged =
            app.reader(name).await.api_post(&format!("/api/v1/comments/{id}/flags"), json!({"reason": "spam"})).await;
        assert_eq!(flagged.status, StatusCode::CREATED, "{}", flagged.body);
    }
    let moderator = app.signed_in("mod1", Role::Moderator).await;
    let before = item(&queue(&moderator, "reported").await, id).expect("reported");
    assert_eq!(before["status"], "pending", "hidden by the flags");

    let removed =
        moderator.api_post(&format!("/api/v1/moderation/comments/{id}/remove"), json!({"reason": "spam"})).await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    assert_eq!(removed.body["message"], "Removed the comment by @author.");
    assert_eq!(user_counts(&app, "flagger1").0, 1);
    let token = removed.body["undo"].as_str().unwrap();
    let undone = moderator.api_post(&format!("/api/v1/moderation/undo/{token}"), json!({})).await;
    assert_eq!(undone.status, StatusCode::OK, "{}", undone.body);

    let after = item(&queue(&moderator, "reported").await, id).expect("reported again");
    assert_eq!(after["status"], "pending");
    assert_eq!(after["removal_reason"], Value::Null);
    assert_eq!(after["queued_at"], before["queued_at"]);
    let open: Vec<&Value> = after["flags"].as_array().unwrap().iter().filter(|f| f["status"] == "open").collect();
    assert_eq!(open.len(), 3, "{after}");
    assert!(item(&queue(&moderator, "removed").await, id).is_none());
    assert_eq!(user_counts(&app, "flagger1").0, 0, "the removal no longer counts for the flagger");
    app.client().get("/articles/budget").await.assert_lacks("A contested claim");

    // Dismissing the flags now brings it back, as before the removal.
    let dismissed = moderator.api_post(&format!("/api/v1/moderation/comments/{id}/dismiss-flags"), json!({})).await;
    assert_eq!(dismissed.body["message"], "Dismissed the flags on the comment by @author.");
    app.client().get("/articles/budget").await.assert_contains("A contested claim");
}

#[tokio::test]
async fn undo_is_refused_when_late_not_ones_own_or_overtaken() {
    let app = spawn().await;
    app.article("budget").await;
    trusted(&app).await;
    let ada = app.reader("ada").await;
    let first = app.signed_in("mod1", Role::Moderator).await;
    let second = app.signed_in("mod2", Role::Moderator).await;
    let remove = |id: i64| format!("/api/v1/moderation/comments/{id}/remove");
    let undo = |token: &Value| format!("/api/v1/moderation/undo/{}", token.as_str().unwrap());

    let late = ada.comment("budget", "The first remark.").await;
    let decided = first.api_post(&remove(late), json!({"reason": "spam"})).await;
    app.advance(chrono::TimeDelta::seconds(UNDO_SECONDS));
    let refused = first.api_post(&undo(&decided.body["undo"]), json!({})).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(refused.body["error"]["message"].as_str().unwrap().contains("30 seconds"), "{}", refused.body);

    let theirs = ada.comment("budget", "The second remark.").await;
    let decided = first.api_post(&remove(theirs), json!({"reason": "spam"})).await;
    let refused = second.api_post(&undo(&decided.body["undo"]), json!({})).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "only the moderator who decided: {}", refused.body);

    let overtaken = ada.comment("budget", "The third remark.").await;
    let decided = first.api_post(&remove(overtaken), json!({"reason": "spam"})).await;
    let restored = second.api_post(&format!("/api/v1/moderation/comments/{overtaken}/approve"), json!({})).await;
    assert_eq!(restored.status, StatusCode::OK);
    let refused = first.api_post(&undo(&decided.body["undo"]), json!({})).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    app.client().get("/articles/budget").await.assert_contains("The third remark.");
    assert_eq!(second.api_post(&undo(&decided.body["undo"]), json!({})).await.status, StatusCode::NOT_FOUND);
    assert!(first.api_post("/api/v1/moderation/undo/nonsense", json!({})).await.status == StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn without_javascript_every_action_confirms_what_it_did_and_offers_undo() {
    let app = spawn().await;
    app.article("budget").await;
    app.site_settings(|s| s.policy.premoderation = civil::domain::moderation::Premoderation::Everyone).await;
    let ada = app.reader("ada").await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let held = ada.try_comment("budget", &format!("Held remark number {i} with enough words."), None).await;
        ids.push(held.body["id"].as_i64().unwrap());
    }
    let admin = app.signed_in("chief", Role::Admin).await;

    let approved =
        admin.submit("/moderation", &format!("/moderation/comments/{}/approve", ids[0]), &[("tab", "pending")]).await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.text);
    let confirmed = admin.get(approved.location()).await;
    confirmed.assert_contains("Approved the comment by @ada.");
    let token = approved.location().split("done=").nth(1).unwrap().to_owned();
    confirmed.assert_contains(&format!("action=\"/moderation/undo/{token}\""));
    let undone = admin.submit(approved.location(), &format!("/moderation/undo/{token}"), &[("tab", "pending")]).await;
    assert_eq!(undone.status, StatusCode::SEE_OTHER, "{}", undone.text);
    let after_undo = admin.get(undone.location()).await;
    after_undo.assert_contains("Undone: the comment by @ada is back as before.");
    after_undo.assert_lacks("/moderation/undo/");
    after_undo.assert_contains(&format!("id=\"item-{}\"", ids[0]));
    app.client().get("/articles/budget").await.assert_lacks("Held remark number 0");
    // Too late, the confirmation stays but its Undo goes; the undo itself says why.
    let again = admin.submit("/moderation", &format!("/moderation/undo/{token}"), &[("tab", "pending")]).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    again.assert_contains("already been undone");

    let removed = admin
        .submit(
            "/moderation",
            &format!("/moderation/comments/{}/remove", ids[1]),
            &[("tab", "pending"), ("reason", "spam")],
        )
        .await;
    let page = admin.get(removed.location()).await;
    page.assert_contains("Removed the comment by @ada.");
    page.assert_contains("/moderation/undo/");
    app.advance(chrono::TimeDelta::seconds(UNDO_SECONDS));
    let later = admin.get(removed.location()).await;
    later.assert_contains("Removed the comment by @ada.");
    later.assert_lacks("/moderation/undo/");

    let token = admin.get("/moderation").await.csrf();
    let first = ids[0].to_string();
    let third = ids[2].to_string();
    let bulk = admin
        .post_form(
            "/moderation/bulk",
            &[("csrf_token", &token), ("action", "approve"), ("ids", &first), ("ids", &third), ("tab", "pending")],
        )
        .await;
    assert_eq!(bulk.status, StatusCode::SEE_OTHER, "{}", bulk.text);
    admin.get(bulk.location()).await.assert_contains("Approved 2 comments by @ada.");

    let bob = app.reader("bob").await;
    let held = bob.try_comment("budget", "Bob writes something held.", None).await;
    let id = held.body["id"].as_i64().unwrap();
    let queue_page = admin.get("/moderation").await;
    queue_page.assert_contains("name=\"back\" value=\"/moderation?tab=pending&amp;notice=review-on\"");
    let bob_id = civil::services::accounts::find_by_username(&app.app, "bob").await.unwrap().id;
    let review = admin
        .submit(
            "/moderation",
            &format!("/moderation/users/{bob_id}/review"),
            &[("on", "1"), ("back", "/moderation?tab=pending&notice=review-on")],
        )
        .await;
    admin.get(review.location()).await.assert_contains("this author's comments wait here for a decision");
    let banned = admin
        .submit(
            "/moderation",
            &format!("/moderation/comments/{id}/remove-and-ban"),
            &[("tab", "pending"), ("reason", "abuse")],
        )
        .await;
    assert_eq!(banned.status, StatusCode::SEE_OTHER, "{}", banned.text);
    admin.get(banned.location()).await.assert_contains("Removed the comment and banned its author.");

    // The log says what was undone, in words.
    let log = admin.get("/moderation/log?action=undo").await;
    log.assert_contains("Undone");
    log.assert_contains("data-label=\"Reason\">Approved</td>");
}

#[tokio::test]
async fn each_queue_item_is_named_by_its_author_and_its_start() {
    let app = spawn().await;
    app.article("budget").await;
    app.site_settings(|s| s.policy.premoderation = civil::domain::moderation::Premoderation::Everyone).await;
    let long = "The council should publish every line of the budget before the vote, not after it, and say why.";
    app.reader("ada").await.try_comment("budget", long, None).await;
    app.reader("bob").await.try_comment("budget", "Agreed  with\nall of that.", None).await;
    let page = app.signed_in("mod1", Role::Moderator).await.get("/moderation").await;
    page.assert_contains("aria-label=\"Comment by @ada: The council should publish every line of the budget before…\"");
    page.assert_contains("aria-label=\"Comment by @bob: Agreed with all of that.\"");
}

// ---------------------------------------------------------------------------------------------
// The newsletter editor
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_editor_previews_a_draft_through_the_issue_template() {
    let app = spawn().await;
    let admin = app.signed_in("chief", Role::Admin).await;
    admin.get("/admin/newsletter/issues/new").await.assert_contains("id=\"live-preview\"");
    let preview = admin
        .api_post(
            "/admin/newsletter/preview",
            json!({"subject": "Week <one>", "body": "Hello *readers*.\n\n<script>x</script>"}),
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert_eq!(preview.body["subject"], "Week <one>");
    let html = preview.body["html"].as_str().unwrap();
    assert!(html.contains("<h1>Week &lt;one&gt;</h1>"), "{html}");
    assert!(html.contains("<em>readers</em>"), "{html}");
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("You receive this because you subscribed at"), "the issue's own footer: {html}");
    assert!(!html.contains("style="), "rendered for a page: {html}");
    // An empty draft is previewed as it stands; a subject too long is refused as saving would.
    let empty = admin.api_post("/admin/newsletter/preview", json!({})).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.body);
    let long = admin.api_post("/admin/newsletter/preview", json!({"subject": "x".repeat(201)})).await;
    assert_eq!(long.status, StatusCode::UNPROCESSABLE_ENTITY);

    let no_token =
        admin.http.post(admin.url("/admin/newsletter/preview")).json(&json!({"body": "x"})).send().await.unwrap();
    assert_eq!(no_token.status(), StatusCode::FORBIDDEN);
    let moderator = app.signed_in("mod1", Role::Moderator).await;
    assert_eq!(
        moderator.api_post("/admin/newsletter/preview", json!({"body": "x"})).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn counts_are_pluralised_and_the_issue_says_sent_as_soon_as_sending_ends() {
    let app = spawn_with(|s| s.site_name = "The Example Herald".into()).await;
    let reader = app.client();
    let page = reader.get("/newsletter").await;
    let answer = reader
        .post_form("/newsletter", &[("csrf_token", &page.csrf()), ("email", "one@example.com"), ("next", "/")])
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    app.deliver().await;
    let confirmation = app.smtp.to("one@example.com").pop().unwrap();
    let text =
        confirmation.data.replace("=\r\n", "").replace("=\n", "").split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("you want The Example Herald newsletter at"), "{text}");
    assert!(!text.to_lowercase().contains("the the"), "{text}");
    let link = confirmation.link("/newsletter/confirm/").unwrap();
    let path = &link[link.find("/newsletter/confirm/").unwrap()..];
    let confirm_page = reader.get(path).await;
    reader.post_form(path, &[("csrf_token", &confirm_page.csrf())]).await;

    let admin = app.signed_in("chief", Role::Admin).await;
    let id = send_issue(&admin, "One reader").await;
    let issue = format!("/admin/newsletter/issues/{id}");
    admin.get(&format!("{issue}?notice=queued")).await.assert_contains("The issue is queued for 1 subscriber.");
    app.deliver().await;
    // No heartbeat has marked the issue yet: nothing is left to send, so it is sent.
    let progress = admin.api_get(&format!("{issue}/progress.json")).await;
    assert_eq!(progress.body["status"], "sent", "{}", progress.body);
    admin.get(&issue).await.assert_contains("data-issue-status>sent</span>");
}
