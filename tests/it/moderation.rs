//! Moderation over HTTP: the policy, flags, the queue and its log, sanctions, permissions.

use civil::domain::moderation::Premoderation;
use civil::domain::role::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

/// Readers here count as established unless a test says otherwise, so that only the check
/// under test fires.
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

fn queued_ids(queue: &Value) -> Vec<i64> {
    queue["items"].as_array().unwrap().iter().map(|i| i["comment_id"].as_i64().unwrap()).collect()
}

async fn log_actions(client: &Client, query: &str) -> Vec<(String, Option<String>)> {
    let log = client.api_get(&format!("/api/v1/moderation/log{query}")).await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.body);
    log.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap().to_owned(), e["rule"].as_str().map(str::to_owned)))
        .collect()
}

#[tokio::test]
async fn banned_words_reject_suspect_words_report_and_both_are_logged() {
    let app = spawn().await;
    app.article("budget").await;
    app.site_settings(|s| {
        s.policy.new_commenter_comments = 0;
        s.policy.new_commenter_days = 0;
        s.words.banned = vec!["gammon".into()];
        s.words.suspect = vec!["snowflake".into()];
    })
    .await;
    let ada = app.reader("ada").await;
    let moderator = app.signed_in("mod1", Role::Moderator).await;

    let rejected = ada.try_comment("budget", "Only a gammon would say that", None).await;
    assert_eq!(rejected.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(rejected.body["error"]["message"].as_str().unwrap().contains("gammon"), "{}", rejected.body);
    let page =
        ada.submit("/articles/budget", "/articles/budget/comments", &[("body", "Only a gammon would say that")]).await;
    page.assert_contains("Only a gammon would say that");

    let reported = ada.try_comment("budget", "What a snowflake take", None).await;
    assert_eq!(reported.body["status"], "published");
    let id = reported.body["id"].as_i64().unwrap();
    assert_eq!(queued_ids(&queue(&moderator, "reported").await), vec![id]);
    assert!(queue(&moderator, "reported").await["items"][0]["reasons"][0]
        .as_str()
        .unwrap()
        .starts_with("suspect_words"));

    let log = log_actions(&moderator, "").await;
    assert!(log.contains(&("reject".into(), Some("banned_words".into()))), "{log:?}");
    assert!(log.contains(&("report".into(), Some("suspect_words".into()))), "{log:?}");
}

#[tokio::test]
async fn held_comments_are_seen_by_their_author_only_and_not_counted() {
    let app = spawn().await;
    app.article("budget").await;
    trusted(&app).await;
    let ada = app.reader("ada").await;
    let created = ada.try_comment("budget", "You are a faggot.", None).await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.body["status"], "pending", "severe content is held: {}", created.body);
    let own = ada.get("/articles/budget").await;
    own.assert_contains("Awaiting moderation");
    own.assert_contains("Discussion (0)");
    let public = app.client().get("/articles/budget").await;
    public.assert_lacks("Awaiting moderation");
    public.assert_contains("Be the first to comment.");
    assert_eq!(app.reader("bob").await.thread("budget", "").await.body["comments"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn each_holding_rule_holds_and_logs_why() {
    let app = spawn().await;
    app.article("budget").await;
    let moderator = app.signed_in("mod1", Role::Moderator).await;

    // A link from a new commenter.
    let newbie = app.reader("newbie").await;
    assert_eq!(
        newbie.try_comment("budget", "See https://example.com/report for more", None).await.body["status"],
        "pending"
    );

    trusted(&app).await;
    let ada = app.reader("ada").await;
    assert_eq!(
        ada.try_comment("budget", "See https://example.com/report for more", None).await.body["status"],
        "published"
    );

    // Many masked words: published masked, and reported.
    let sweary =
        ada.try_comment("budget", "This shit is fucking crap, total bullshit and the cunts know it", None).await;
    assert_eq!(sweary.body["status"], "published");
    assert!(!sweary.body["body_html"].as_str().unwrap().contains("fucking"));

    // Repeated text.
    let long = "The council should publish the full minutes of every budget meeting this year.";
    assert_eq!(ada.try_comment("budget", long, None).await.body["status"], "published");
    assert_eq!(ada.try_comment("budget", long, None).await.body["status"], "pending");

    // Always review.
    let bob = app.reader("bob").await;
    let bob_id = civil::services::accounts::find_by_username(&app.app, "bob").await.unwrap().id;
    let review = moderator.api_post(&format!("/api/v1/moderation/users/{bob_id}/review"), json!({})).await;
    assert_eq!(review.status, StatusCode::OK, "{}", review.body);
    assert_eq!(bob.try_comment("budget", "A perfectly ordinary remark.", None).await.body["status"], "pending");

    let rules: Vec<Option<String>> =
        log_actions(&moderator, "?action=hold").await.into_iter().map(|(_, rule)| rule).collect();
    for rule in ["new_commenter_links", "repeated_text", "always_review"] {
        assert!(rules.contains(&Some(rule.into())), "{rule} in {rules:?}");
    }
    let reported = log_actions(&moderator, "?action=report").await;
    assert!(reported.contains(&("report".into(), Some("many_masked_words".into()))), "{reported:?}");
    assert!(log_actions(&moderator, "?action=review_on").await.len() == 1);
}

#[tokio::test]
async fn premoderation_holds_new_commenters_until_enough_are_approved() {
    let app = spawn().await;
    app.article("budget").await;
    app.site_settings(|s| s.policy.premoderation = Premoderation::NewCommenters { approvals_needed: 1 }).await;
    let ada = app.reader("ada").await;
    let moderator = app.signed_in("mod1", Role::Moderator).await;
    let first = ada.try_comment("budget", "My first words here.", None).await;
    assert_eq!(first.body["status"], "pending");
    let id = first.body["id"].as_i64().unwrap();
    let approved = moderator.api_post(&format!("/api/v1/moderation/comments/{id}/approve"), json!({})).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    assert_eq!(ada.try_comment("budget", "And now a second thought.", None).await.body["status"], "published");
    app.client().get("/articles/budget").await.assert_contains("Discussion (2)");

    app.site_settings(|s| s.policy.premoderation = Premoderation::Everyone).await;
    assert_eq!(ada.try_comment("budget", "Everyone waits now.", None).await.body["status"], "pending");
    // Staff are not pre-moderated.
    assert_eq!(moderator.try_comment("budget", "A note from the desk.", None).await.body["status"], "published");
}

#[tokio::test]
async fn flags_reach_the_threshold_and_the_comment_leaves_public_view() {
    let app = spawn().await;
    app.article("budget").await;
    trusted(&app).await;
    let author = app.reader("author").await;
    let id = author.comment("budget", "A contested claim about the budget.").await;
    let path = format!("/api/v1/comments/{id}/flags");

    assert_eq!(author.api_post(&path, json!({"reason": "spam"})).await.status, StatusCode::FORBIDDEN, "not one's own");
    let flaggers = [app.reader("flagger1").await, app.reader("flagger2").await, app.reader("flagger3").await];
    let other = flaggers[0].api_post(&path, json!({"reason": "other"})).await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY, "other needs a note");
    let first = flaggers[0].api_post(&path, json!({"reason": "misinformation", "note": "The figures are wrong"})).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(first.body["hidden"], false);
    let again = flaggers[0].api_post(&path, json!({"reason": "spam"})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body["error"]["message"].as_str().unwrap().contains("already flagged"));
    flaggers[1].api_post(&path, json!({"reason": "spam"})).await;
    app.client().get("/articles/budget").await.assert_contains("A contested claim");
    let third = flaggers[2].api_post(&path, json!({"reason": "abuse"})).await;
    assert_eq!(third.body["hidden"], true);
    app.client().get("/articles/budget").await.assert_lacks("A contested claim");
    app.client().get("/articles/budget").await.assert_contains("Discussion (0)");

    let moderator = app.signed_in("mod1", Role::Moderator).await;
    let reported = queue(&moderator, "reported").await;
    assert_eq!(queued_ids(&reported), vec![id]);
    assert_eq!(reported["items"][0]["flags"].as_array().unwrap().len(), 3);
    assert_eq!(reported["items"][0]["flags"][0]["note"], "The figures are wrong");
    assert!(log_actions(&moderator, "?action=hide").await.len() == 1);

    // Dismissing the flags brings it back.
    let dismissed = moderator.api_post(&format!("/api/v1/moderation/comments/{id}/dismiss-flags"), json!({})).await;
    assert_eq!(dismissed.status, StatusCode::OK);
    app.client().get("/articles/budget").await.assert_contains("A contested claim");
    assert!(queued_ids(&queue(&moderator, "reported").await).is_empty());
}

#[tokio::test]
async fn flags_from_readers_whose_flags_were_mostly_dismissed_count_for_less() {
    let app = spawn().await;
    app.article("budget").await;
    trusted(&app).await;
    app.site_settings(|s| s.policy.flag_threshold = 2).await;
    let author = app.reader("author").await;
    let noisy = app.reader("noisy").await;
    let moderator = app.signed_in("mod1", Role::Moderator).await;
    // Three of noisy's flags are dismissed: their flags now weigh two thirds.
    for i in 0..3 {
        let id = author.comment("budget", &format!("Harmless remark number {i}.")).await;
        noisy.api_post(&format!("/api/v1/comments/{id}/flags"), json!({"reason": "spam"})).await;
        moderator.api_post(&format!("/api/v1/moderation/comments/{id}/dismiss-flags"), json!({})).await;
    }
    let target = author.comment("budget", "The remark that gets flagged.").await;
    let path = format!("/api/v1/comments/{target}/flags");
    assert_eq!(noisy.api_post(&path, json!({"reason": "spam"})).await.body["hidden"], false);
    let fair = app.reader("fair").await;
    assert_eq!(fair.api_post(&path, json!({"reason": "spam"})).await.body["hidden"], false, "2/3 + 1 < 2");
    let second_fair = app.reader("fair2").await;
    assert_eq!(second_fair.api_post(&path, json!({"reason": "spam"})).await.body["hidden"], true);
}

#[tokio::test]
async fn removing_shows_a_placeholder_tells_the_author_why_and_is_logged() {
    let app = spawn().await;
    app.article("budget").await;
    trusted(&app).await;
    let ada = app.reader("ada").await;
    let bob = app.reader("bob").await;
    let moderator = app.signed_in("mod1", Role::Moderator).await;
    let parent = ada.comment("budget", "Buy cheap watches at my shop").await;
    bob.reply("budget", parent, "Is this spam?").await;
    let lonely = ada.comment("budget", "More cheap watches").await;
    for id in [parent, lonely] {
        let removed = moderator
            .api_post(
                &format!("/api/v1/moderation/comments/{id}/remove"),
                json!({"reason": "spam", "note": "No advertising, please."}),
            )
            .await;
        assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    }
    let public = app.client().get("/articles/budget").await;
    public.assert_contains("Removed by a moderator");
    public.assert_lacks("cheap watches");
    public.assert_contains("Is this spam?");
    public.assert_contains("2 comments removed: spam ×2");
    let own = ada.get("/articles/budget").await;
    own.assert_contains("No advertising, please.");
    let removed_tab = queue(&moderator, "removed").await;
    assert_eq!(queued_ids(&removed_tab).len(), 2);
    let log = log_actions(&moderator, "?action=remove").await;
    assert_eq!(log.len(), 2);
    // The remove needs a reason.
    let no_reason = moderator.api_post(&format!("/api/v1/moderation/comments/{lonely}/remove"), json!({})).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_queue_page_shows_the_original_text_with_its_context_and_acts_without_javascript() {
    let app = spawn().await;
    app.article("budget").await;
    trusted(&app).await;
    let ada = app.reader("ada").await;
    let bob = app.reader("bob").await;
    let parent = bob.comment("budget", "The parent comment for context.").await;
    let held = ada.try_comment("budget", "You are a faggot and this is shit.", Some(parent)).await;
    assert_eq!(held.body["status"], "pending");
    let id = held.body["id"].as_i64().unwrap();
    let moderator = app.signed_in("mod1", Role::Moderator).await;
    let page = moderator.get("/moderation").await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("faggot");
    page.assert_contains("<mark");
    page.assert_contains("The parent comment for context.");
    page.assert_contains("Title of budget");
    page.assert_contains("Held: severe profanity or hate");
    page.assert_contains("@ada");
    let approved =
        moderator.submit("/moderation", &format!("/moderation/comments/{id}/approve"), &[("tab", "pending")]).await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.text);
    assert!(approved.location().starts_with("/moderation?tab=pending&done="), "{}", approved.location());
    assert!(queued_ids(&queue(&moderator, "pending").await).is_empty());
    assert_eq!(queued_ids(&queue(&moderator, "approved").await), vec![id]);
    app.client().get("/articles/budget").await.assert_contains("f*****");
}

#[tokio::test]
async fn bulk_actions_apply_to_every_selected_item() {
    let app = spawn().await;
    app.article("budget").await;
    app.site_settings(|s| s.policy.premoderation = Premoderation::Everyone).await;
    let ada = app.reader("ada").await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let held = ada.try_comment("budget", &format!("Held remark number {i} with enough words."), None).await;
        assert_eq!(held.body["status"], "pending");
        ids.push(held.body["id"].as_i64().unwrap().to_string());
    }
    let moderator = app.signed_in("mod1", Role::Moderator).await;
    let token = moderator.get("/moderation").await.csrf();
    let mut form =
        vec![("csrf_token", token.as_str()), ("action", "remove"), ("reason", "off_topic"), ("tab", "pending")];
    for id in &ids {
        form.push(("ids", id.as_str()));
    }
    let done = moderator.post_form("/moderation/bulk", &form).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    assert_eq!(queued_ids(&queue(&moderator, "removed").await).len(), 3);
    assert_eq!(log_actions(&moderator, "?action=remove").await.len(), 3);
}

#[tokio::test]
async fn suspended_and_banned_readers_can_read_but_not_take_part() {
    let app = spawn().await;
    app.article("budget").await;
    trusted(&app).await;
    let ada = app.reader("ada").await;
    let bob = app.reader("bob").await;
    let target = bob.comment("budget", "Something to vote on.").await;
    let ada_id = civil::services::accounts::find_by_username(&app.app, "ada").await.unwrap().id;
    let moderator = app.signed_in("mod1", Role::Moderator).await;

    let bad = moderator
        .api_post(&format!("/api/v1/moderation/users/{ada_id}/suspend"), json!({"reason": "Cooling off", "days": 0}))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let suspended = moderator
        .api_post(&format!("/api/v1/moderation/users/{ada_id}/suspend"), json!({"reason": "Cooling off", "days": 3}))
        .await;
    assert_eq!(suspended.status, StatusCode::OK, "{}", suspended.body);
    let refused = ada.try_comment("budget", "Let me in", None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let message = refused.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("suspended until") && message.contains("Cooling off"), "{message}");
    assert_eq!(
        ada.api_post(&format!("/api/v1/comments/{target}/vote"), json!({"value": 1})).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        ada.api_post(&format!("/api/v1/comments/{target}/flags"), json!({"reason": "spam"})).await.status,
        StatusCode::FORBIDDEN
    );
    let page = ada.get("/articles/budget").await;
    assert_eq!(page.status, StatusCode::OK, "still reads");
    page.assert_contains("suspended until");

    // A ban (admins only) ends the reader's sessions at once.
    let banned_by_mod =
        moderator.api_post(&format!("/api/v1/moderation/users/{ada_id}/ban"), json!({"reason": "Abuse"})).await;
    assert_eq!(banned_by_mod.status, StatusCode::FORBIDDEN);
    let admin = app.signed_in("chief", Role::Admin).await;
    let banned = admin.api_post(&format!("/api/v1/moderation/users/{ada_id}/ban"), json!({"reason": "Abuse"})).await;
    assert_eq!(banned.status, StatusCode::OK);
    assert!(ada.api_get("/api/v1/session").await.body["user"].is_null(), "the ban ended the session");
    let mut again = app.client();
    again.sign_in("ada", PASSWORD).await;
    let still = again.try_comment("budget", "Back again", None).await;
    assert_eq!(still.status, StatusCode::FORBIDDEN);
    assert!(still.body["error"]["message"].as_str().unwrap().contains("banned"));
    let log = log_actions(&admin, "").await;
    assert!(log.iter().any(|(a, _)| a == "ban") && log.iter().any(|(a, _)| a == "suspend"));
    let unbanned = admin.api_post(&format!("/api/v1/moderation/users/{ada_id}/unban"), json!({})).await;
    assert_eq!(unbanned.status, StatusCode::OK);
    assert_eq!(again.try_comment("budget", "Thank you for having me back.", None).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn remove_and_ban_removes_bans_and_signs_out() {
    let app = spawn().await;
    app.article("budget").await;
    trusted(&app).await;
    let troll = app.reader("troll").await;
    let id = troll.comment("budget", "Troll text").await;
    let admin = app.signed_in("chief", Role::Admin).await;
    let token = admin.get("/moderation?tab=approved").await.csrf();
    let done = admin
        .post_form(
            &format!("/moderation/comments/{id}/remove-and-ban"),
            &[("csrf_token", &token), ("reason", "abuse"), ("tab", "reported")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    assert!(troll.api_get("/api/v1/session").await.body["user"].is_null());
    app.client().get("/articles/budget").await.assert_lacks("Troll text");
}

#[tokio::test]
async fn readers_get_403_from_every_moderation_endpoint_and_moderators_cannot_promote_or_ban() {
    let app = spawn().await;
    app.article("budget").await;
    let ada = app.reader("ada").await;
    let bob = app.reader("bob").await;
    let id = bob.comment("budget", "A comment").await;
    let bob_id = civil::services::accounts::find_by_username(&app.app, "bob").await.unwrap().id;
    for path in ["/api/v1/moderation/queue", "/api/v1/moderation/queue/counts", "/api/v1/moderation/log"] {
        assert_eq!(ada.api_get(path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    for action in ["approve", "remove", "dismiss-flags"] {
        let r = ada.api_post(&format!("/api/v1/moderation/comments/{id}/{action}"), json!({"reason": "spam"})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{action}");
    }
    for (action, body) in [
        ("suspend", json!({"reason": "x", "days": 1})),
        ("ban", json!({"reason": "x"})),
        ("unban", json!({})),
        ("review", json!({})),
    ] {
        let r = ada.api_post(&format!("/api/v1/moderation/users/{bob_id}/{action}"), body).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{action}");
    }
    for page in ["/moderation", "/moderation/log", "/admin/settings"] {
        assert_eq!(ada.get(page).await.status, StatusCode::FORBIDDEN, "{page}");
    }
    assert_eq!(app.client().api_get("/api/v1/moderation/queue").await.status, StatusCode::UNAUTHORIZED);

    let moderator = app.signed_in("mod1", Role::Moderator).await;
    let promote = moderator.submit("/moderation", "/admin/users/bob/role", &[("role", "moderator")]).await;
    assert_eq!(promote.status, StatusCode::FORBIDDEN);
    assert_eq!(
        moderator.api_post(&format!("/api/v1/moderation/users/{bob_id}/ban"), json!({"reason": "x"})).await.status,
        StatusCode::FORBIDDEN
    );
    // Nobody acts on an equal: a moderator cannot suspend another moderator.
    app.create_user("mod2", Role::Moderator).await;
    let mod2 = civil::services::accounts::find_by_username(&app.app, "mod2").await.unwrap().id;
    let equal = moderator
        .api_post(&format!("/api/v1/moderation/users/{mod2}/suspend"), json!({"reason": "x", "days": 1}))
        .await;
    assert_eq!(equal.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn moderators_feature_comments_and_close_threads() {
    let app = spawn().await;
    app.article("budget").await;
    trusted(&app).await;
    let ada = app.reader("ada").await;
    let first = ada.comment("budget", "An ordinary first comment.").await;
    let insight = ada.comment("budget", "The most insightful comment.").await;
    let moderator = app.signed_in("mod1", Role::Moderator).await;
    let featured = moderator
        .submit("/articles/budget", &format!("/moderation/comments/{insight}/feature"), &[("featured", "1")])
        .await;
    assert_eq!(featured.status, StatusCode::SEE_OTHER);
    let page = app.client().get("/articles/budget").await;
    page.assert_contains("Featured");
    let block = page.text.find("The most insightful comment.").unwrap();
    assert!(block < page.text.find("An ordinary first comment.").unwrap(), "featured first");
    let _ = first;

    let closed = moderator.submit("/articles/budget", "/moderation/articles/budget/close", &[]).await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER);
    assert_eq!(ada.try_comment("budget", "Too late?", None).await.status, StatusCode::CONFLICT);
    app.client().get("/articles/budget").await.assert_contains("The discussion on this article is closed.");
    moderator.submit("/articles/budget", "/moderation/articles/budget/reopen", &[]).await;
    assert_eq!(ada.try_comment("budget", "Open again, good.", None).await.status, StatusCode::CREATED);
    let log = log_actions(&moderator, "").await;
    for action in ["feature", "close", "reopen"] {
        assert!(log.iter().any(|(a, _)| a == action), "{action} in {log:?}");
    }
}

#[tokio::test]
async fn articles_close_automatically_after_the_set_number_of_days() {
    let app = spawn().await;
    app.article("old-news").await;
    app.advance(chrono::Duration::days(40));
    let ada = app.reader("ada").await;
    assert_eq!(ada.try_comment("old-news", "Still open?", None).await.status, StatusCode::CREATED);
    app.site_settings(|s| s.auto_close_days = 30).await;
    assert_eq!(ada.try_comment("old-news", "And now?", None).await.status, StatusCode::CONFLICT);
    app.client().get("/articles/old-news").await.assert_contains("The discussion on this article is closed.");
}

#[tokio::test]
async fn settings_changed_by_an_admin_apply_at_once_on_every_instance() {
    let first = spawn().await;
    let second = spawn_on(first.db.clone(), |_| {}).await;
    first.article("budget").await;
    let admin = first.signed_in("chief", Role::Admin).await;
    let ada = first.reader("ada").await;
    let mut ada_on_second = second.client();
    ada_on_second.sign_in("ada", PASSWORD).await;
    assert_eq!(
        ada_on_second.try_comment("budget", "A remark about gammon pies.", None).await.status,
        StatusCode::CREATED
    );

    let form = admin.get("/admin/settings").await;
    form.assert_contains("counts as one flag");
    let saved = admin
        .submit(
            "/admin/settings",
            "/admin/settings",
            &[
                ("premoderation", "off"),
                ("premoderation_approvals", "3"),
                ("masked_words_threshold", "3"),
                ("new_commenter_comments", "3"),
                ("new_commenter_days", "2"),
                ("repeat_window_hours", "24"),
                ("flag_threshold", "3"),
                ("auto_close_days", "0"),
                ("banned_words", "gammon"),
                ("suspect_words", ""),
                ("allowed_words", ""),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    assert_eq!(
        ada_on_second.try_comment("budget", "More about gammon pies.", None).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let _ = ada;
    let invalid = admin
        .submit("/admin/settings", "/admin/settings", &[("premoderation", "off"), ("flag_threshold", "lots")])
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn flagging_is_limited_per_day_and_works_without_javascript() {
    let app = spawn_with(|s| {
        s.rate_limits = true;
        s.limits.flags_per_day = 1;
    })
    .await;
    app.article("budget").await;
    let chief = app.signed_in("chief", Role::Admin).await;
    let a = chief.comment("budget", "First staff note.").await;
    let b = chief.comment("budget", "Second staff note.").await;
    let ada = app.reader("ada").await;
    let flagged = ada.submit("/articles/budget", &format!("/comments/{a}/flag"), &[("reason", "off_topic")]).await;
    assert_eq!(flagged.status, StatusCode::SEE_OTHER, "{}", flagged.text);
    let landing = ada.get(flagged.location().split('#').next().unwrap()).await;
    landing.assert_contains("you flagged this comment");
    let limited = ada.api_post(&format!("/api/v1/comments/{b}/flags"), json!({"reason": "spam"})).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers.get("retry-after").is_some());
}

/// A queue cursor is a time and an id, as the API documents them: unsigned, up to 17 and 18
/// digits. Times outside what the database can hold (found by schemathesis on PostgreSQL, which
/// refused them with "timestamp out of range") are a bad cursor, on the page as in the API, not a
/// failure.
#[tokio::test]
async fn queue_cursors_from_before_or_after_any_date_are_refused_as_invalid() {
    let app = spawn().await;
    let moderator = app.signed_in("mod1", Role::Moderator).await;
    for after in ["-4611686018427387904_1", "-300000000000000000_1", "300000000000000000_1", "1_-7", "+1_1"] {
        let api = moderator.api_get(&format!("/api/v1/moderation/queue?after={after}")).await;
        assert_eq!(api.status, StatusCode::UNPROCESSABLE_ENTITY, "{after}: {}", api.body);
        assert_eq!(api.error_code(), "invalid");
        let page = moderator.get(&format!("/moderation?tab=pending&after={after}")).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{after}");
    }
    for after in ["1764547200000000_1", "99999999999999999_999999999999999999"] {
        let fine = moderator.api_get(&format!("/api/v1/moderation/queue?after={after}")).await;
        assert_eq!(fine.status, StatusCode::OK, "{after}, as the API documents cursors: {}", fine.body);
    }
}
