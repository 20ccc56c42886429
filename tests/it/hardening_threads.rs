//! Issue 7: thread depth, the thread cache, and the integrity of moderators' decisions, each
//! as an attacker (or an author, or a moderator) tried to break it.

use civil::domain::role::Role;
use civil::store::schema::{articles, comment_flags, comments};
use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

/// Readers here count as established, so that only the rule under test fires.
async fn trusted(app: &TestApp) {
    app.site_settings(|s| {
        s.policy.new_commenter_comments = 0;
        s.policy.new_commenter_days = 0;
    })
    .await;
}

fn conn(app: &TestApp) -> civil::store::db::PooledDb {
    app.app.pool.get().expect("a database connection")
}

/// Every stored path with its comment id, depth and true parent.
fn places(app: &TestApp) -> Vec<(i64, String, i32, Option<i64>)> {
    comments::table
        .select((comments::id, comments::path, comments::depth, comments::parent_id))
        .order(comments::id)
        .load(&mut conn(app))
        .unwrap()
}

/// The node with this id in a nested API list, and the id of the node it hangs under.
fn find_node(list: &Value, id: i64, holder: Option<i64>) -> Option<(Value, Option<i64>)> {
    for node in list.as_array().unwrap() {
        if node["id"].as_i64() == Some(id) {
            return Some((node.clone(), holder));
        }
        if let Some(found) = find_node(&node["replies"], id, node["id"].as_i64()) {
            return Some(found);
        }
    }
    None
}

fn depth_of(list: &Value) -> usize {
    list.as_array().unwrap().iter().map(|n| 1 + depth_of(&n["replies"])).max().unwrap_or(0)
}

#[tokio::test]
async fn a_reply_chain_far_deeper_than_the_nesting_keeps_short_paths_and_every_view_serves() {
    let app = spawn().await;
    app.article("budget").await;
    trusted(&app).await;
    let ada = app.reader("ada").await;
    let bob = app.reader("bob").await;
    let mut chain = vec![ada.comment("budget", "Level 1").await];
    for level in 2..=300 {
        let author = if level % 2 == 0 { &bob } else { &ada };
        chain.push(author.reply("budget", *chain.last().unwrap(), &format!("Level {level}")).await);
    }

    // Storage stays linear: no path is longer than six segments, however long the chain.
    let stored = places(&app);
    assert_eq!(stored.len(), 300);
    for (id, path, depth, _) in &stored {
        assert!(path.len() <= 6 * 12, "comment {id} has a path of {} characters", path.len());
        assert!(*depth <= 5, "comment {id} is at depth {depth}");
    }
    // Each keeps its true parent.
    for pair in chain.windows(2) {
        assert_eq!(stored.iter().find(|s| s.0 == pair[1]).unwrap().3, Some(pair[0]));
    }

    let api = app.client().thread("budget", "").await;
    assert_eq!(api.status, StatusCode::OK);
    assert_eq!(depth_of(&api.body["comments"]), 6, "the API nests six levels");
    assert_eq!(ids(&api.body["comments"]), chain, "in reading order");
    let (deep, holder) = find_node(&api.body["comments"], chain[299], None).unwrap();
    assert_eq!(deep["parent_id"].as_i64(), Some(chain[298]), "the true parent");
    assert_eq!(holder, Some(chain[4]), "beside the sixth level, under the fifth");

    let page = app.client().get("/articles/budget").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text.matches(r#"<ol class="replies">"#).count(), 5, "six visual levels");
    page.assert_contains("Level 300");
    page.assert_contains(&format!(r##"href="#comment-{}">in reply to bob"##, chain[297]));
    page.assert_contains(&format!(r##"href="#comment-{}">in reply to ada"##, chain[298]));
    // Signed in, with controls, it renders too; and the permalink finds the deepest reply.
    ada.get("/articles/budget").await.assert_contains("Level 300");
    let permalink = app.client().get(&format!("/comments/{}", chain[299])).await;
    assert_eq!(permalink.status, StatusCode::SEE_OTHER);

    // Taking comments down in the chain keeps every count and every view sound.
    let moderator = app.signed_in("mod1", Role::Moderator).await;
    for id in [chain[5], chain[150], chain[299]] {
        let removed = moderator
            .api_post(&format!("/api/v1/moderation/comments/{id}/remove"), json!({"reason": "off_topic"}))
            .await;
        assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    }
    let api = app.client().thread("budget", "").await;
    assert_eq!(api.status, StatusCode::OK);
    assert_eq!(api.body["total"], 297);
    assert_eq!(ids(&api.body["comments"]).len(), 297, "sixth-level removals leave nothing to hold up");
    let page = app.client().get("/articles/budget").await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("in reply to [deleted]");
}

#[tokio::test]
async fn the_migration_re_places_chains_written_before_the_cap() {
    let app = spawn().await;
    app.article("budget").await;
    trusted(&app).await;
    let ada = app.reader("ada").await;
    let bob = app.reader("bob").await;
    let mut chain = vec![ada.comment("budget", "Level 1").await];
    for level in 2..=10 {
        chain.push(bob.reply("budget", *chain.last().unwrap(), &format!("Level {level}")).await);
    }
    // Level 6 is deleted by its author while levels 7 to 10 hang below it.
    let deleted = bob.api_delete(&format!("/api/v1/comments/{}", chain[5])).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);

    // Write the chain back as the code before the cap stored it: each path its parent's plus
    // its own id, the depth unbounded, each comment counting its shown true children.
    {
        let mut conn = conn(&app);
        let mut path = String::new();
        for (level, id) in chain.iter().enumerate() {
            path.push_str(&format!("{id:012}"));
            let live = i64::from(level + 1 < chain.len());
            diesel::update(comments::table.find(id))
                .set((comments::path.eq(&path), comments::depth.eq(level as i32), comments::live_replies.eq(live)))
                .execute(&mut conn)
                .unwrap();
        }
        diesel::update(articles::table)
            .set(articles::comment_version.eq(articles::comment_version + 1))
            .execute(&mut conn)
            .unwrap();
    }
    assert!(places(&app).iter().any(|(_, path, _, _)| path.len() == 120), "the old, unbounded shape");
    let before = app.client().thread("budget", "").await;
    assert_eq!(depth_of(&before.body["comments"]), 6, "even unmigrated, the tree nests no deeper");

    // The re-placement statements of this change's migration, run again on that data.
    let backend = if app.db.is_postgres() { "postgres" } else { "sqlite" };
    let up = std::fs::read_to_string(format!(
        "{}/migrations/{backend}/2026-11-30-000001_bounded_threads_and_reopening/up.sql",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    {
        let mut conn = conn(&app);
        for statement in up.split(';').filter(|s| s.contains("UPDATE comments")) {
            diesel::sql_query(statement).execute(&mut conn).unwrap();
        }
        diesel::update(articles::table)
            .set(articles::comment_version.eq(articles::comment_version + 1))
            .execute(&mut conn)
            .unwrap();
    }

    let stored = places(&app);
    assert!(stored.iter().all(|(_, path, depth, _)| path.len() <= 72 && *depth <= 5));
    let live: Vec<i64> =
        comments::table.select(comments::live_replies).order(comments::id).load(&mut conn(&app)).unwrap();
    // Levels 1 to 4 hold one shown reply each; level 5 holds levels 7 to 10 (level 6 is
    // deleted, and with nothing under it any more it is no longer shown); the rest hold none.
    assert_eq!(live, vec![1, 1, 1, 1, 4, 0, 0, 0, 0, 0]);
    let after = app.client().thread("budget", "").await;
    assert_eq!(depth_of(&after.body["comments"]), 6);
    let mut shown = chain.clone();
    shown.remove(5);
    assert_eq!(ids(&after.body["comments"]), shown);
    let page = app.client().get("/articles/budget").await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains(&format!(r##"href="#comment-{}">in reply to bob"##, chain[6]));
    page.assert_contains("in reply to [deleted]");
    // Replies to the re-placed comments go on in the new shape.
    let next = ada.reply("budget", chain[9], "Level 11").await;
    assert_eq!(places(&app).last().unwrap().1, format!("{}{next:012}", &stored[4].1));
}

#[tokio::test]
async fn authors_cannot_undo_a_removal_by_deleting_the_comment() {
    let app = spawn().await;
    app.article("budget").await;
    trusted(&app).await;
    let ada = app.reader("ada").await;
    let moderator = app.signed_in("mod1", Role::Moderator).await;
    let mut removed = Vec::new();
    for i in 0..2 {
        let id = ada.comment("budget", &format!("Cheap watches, offer {i}")).await;
        let done =
            moderator.api_post(&format!("/api/v1/moderation/comments/{id}/remove"), json!({"reason": "spam"})).await;
        assert_eq!(done.status, StatusCode::OK);
        removed.push(id);
    }
    app.client().get("/articles/budget").await.assert_contains("2 comments removed: spam ×2");

    let api = ada.api_delete(&format!("/api/v1/comments/{}", removed[0])).await;
    assert_eq!(api.status, StatusCode::CONFLICT, "{}", api.body);
    assert_eq!(api.error_code(), "conflict");
    assert!(api.body["error"]["message"].as_str().unwrap().contains("A moderator removed this comment"));
    let form = ada.submit("/articles/budget", &format!("/comments/{}/delete", removed[1]), &[]).await;
    assert_eq!(form.status, StatusCode::CONFLICT);
    form.assert_contains("A moderator removed this comment");

    app.client().get("/articles/budget").await.assert_contains("2 comments removed: spam ×2");
    let tab = moderator.api_get("/api/v1/moderation/queue?tab=removed").await;
    let items = tab.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "both stay in the Removed tab");
    assert!(items.iter().all(|i| i["status"] == "removed" && i["author"]["removed_comments"] == 2));
    // Her own comments that nobody removed she deletes as before.
    let own = ada.comment("budget", "A thought I take back.").await;
    assert_eq!(ada.api_delete(&format!("/api/v1/comments/{own}")).await.status, StatusCode::NO_CONTENT);
}

/// A moderator's action on a comment through the API.
async fn act(client: &Client, id: i64, action: &str) -> Json {
    let body = if action == "approve" || action == "dismiss-flags" { json!({}) } else { json!({"reason": "spam"}) };
    client.api_post(&format!("/api/v1/moderation/comments/{id}/{action}"), body).await
}

#[tokio::test]
async fn moderators_cannot_decide_on_their_own_comments_or_overturn_an_admin() {
    let app = spawn().await;
    app.article("budget").await;
    trusted(&app).await;
    let ada = app.reader("ada").await;
    let moderator = app.signed_in("mod1", Role::Moderator).await;
    let other_moderator = app.signed_in("mod2", Role::Moderator).await;
    let admin = app.signed_in("lena", Role::Admin).await;

    // The moderator's own comment, removed by an admin: the moderator cannot bring it back, by
    // the API, by the page's form or in bulk; another moderator cannot either; an admin can.
    let own = moderator.comment("budget", "A moderator's hasty remark.").await;
    assert_eq!(act(&admin, own, "remove").await.status, StatusCode::OK);
    let api = act(&moderator, own, "approve").await;
    assert_eq!(api.status, StatusCode::FORBIDDEN, "{}", api.body);
    let form = moderator.submit("/moderation?tab=removed", &format!("/moderation/comments/{own}/approve"), &[]).await;
    assert_eq!(form.status, StatusCode::FORBIDDEN);
    let own_id = own.to_string();
    let bulk = moderator
        .submit("/moderation?tab=removed", "/moderation/bulk", &[("action", "approve"), ("ids", &own_id)])
        .await;
    assert_eq!(bulk.status, StatusCode::FORBIDDEN);
    assert_eq!(act(&other_moderator, own, "approve").await.status, StatusCode::FORBIDDEN, "an admin removed it");
    app.client().get("/articles/budget").await.assert_lacks("hasty remark");

    // A reader's comment an admin removed: moderators cannot overturn or rewrite that.
    let spam = ada.comment("budget", "Cheap watches here.").await;
    assert_eq!(act(&admin, spam, "remove").await.status, StatusCode::OK);
    assert_eq!(act(&moderator, spam, "approve").await.status, StatusCode::FORBIDDEN);
    assert_eq!(act(&moderator, spam, "remove").await.status, StatusCode::FORBIDDEN);
    app.client().get("/articles/budget").await.assert_lacks("Cheap watches");

    // A moderator's removal another moderator may review; an admin may reverse any.
    let claim = ada.comment("budget", "A claim someone disputes.").await;
    assert_eq!(act(&moderator, claim, "remove").await.status, StatusCode::OK);
    assert_eq!(act(&other_moderator, claim, "approve").await.status, StatusCode::OK);
    app.client().get("/articles/budget").await.assert_contains("A claim someone disputes.");
    assert_eq!(act(&admin, own, "approve").await.status, StatusCode::OK);
    app.client().get("/articles/budget").await.assert_contains("hasty remark");

    // Nor may a moderator dismiss flags on, or remove, their own comment.
    assert_eq!(act(&moderator, own, "dismiss-flags").await.status, StatusCode::FORBIDDEN);
    assert_eq!(act(&moderator, own, "remove").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn concurrent_flags_and_a_removal_leave_the_comment_removed_and_every_count_true() {
    let app = spawn().await;
    app.article("budget").await;
    trusted(&app).await;
    // The threshold is reached partway through the flags, so hiding races the removal too.
    app.site_settings(|s| s.policy.flag_threshold = 12).await;
    let ada = app.reader("ada").await;
    let moderator = app.signed_in("mod1", Role::Moderator).await;
    let mut flaggers = Vec::new();
    for i in 0..30 {
        flaggers.push(app.reader(&format!("flagger{}{}", char::from(b'a' + i / 26), char::from(b'a' + i % 26))).await);
    }
    for round in 0..4 {
        let id = ada.comment("budget", &format!("A contested claim, round {round}.")).await;
        ada.comment("budget", &format!("A quiet remark, round {round}.")).await;
        let path = format!("/api/v1/comments/{id}/flags");
        let flags = futures_util::future::join_all(
            flaggers.iter().map(|f| f.api_post(&path, json!({"reason": "misinformation", "note": "wrong"}))),
        );
        let removal = async {
            tokio::time::sleep(std::time::Duration::from_millis(5 * round)).await;
            moderator.api_post(&format!("/api/v1/moderation/comments/{id}/remove"), json!({"reason": "spam"})).await
        };
        let (flags, removal) = tokio::join!(flags, removal);
        assert_eq!(removal.status, StatusCode::OK, "{}", removal.body);
        for flag in &flags {
            assert!(matches!(flag.status, StatusCode::CREATED | StatusCode::NOT_FOUND), "{}", flag.body);
        }

        let mut conn = conn(&app);
        let (status, weight, reported): (String, i64, bool) = comments::table
            .find(id)
            .select((comments::status, comments::flag_weight, comments::reported))
            .first(&mut conn)
            .unwrap();
        assert_eq!(status, "removed", "round {round}: the removal holds");
        assert_eq!((weight, reported), (0, false), "round {round}: no flag weight is left on a decided comment");
        let open: i64 = comment_flags::table
            .filter(comment_flags::comment_id.eq(id))
            .filter(comment_flags::status.eq("open"))
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(open, 0, "round {round}: every flag is decided");
        let accepted = flags.iter().filter(|f| f.status == StatusCode::CREATED).count() as i64;
        let recorded: i64 =
            comment_flags::table.filter(comment_flags::comment_id.eq(id)).count().get_result(&mut conn).unwrap();
        assert_eq!(recorded, accepted, "round {round}: a flag is recorded exactly when accepted");
        let published: i64 =
            comments::table.filter(comments::status.eq("published")).count().get_result(&mut conn).unwrap();
        let count: i64 = articles::table.select(articles::comment_count).first(&mut conn).unwrap();
        assert_eq!(count, published, "round {round}: the article's count is the published comments");
    }
    let page = app.client().get("/articles/budget").await;
    page.assert_contains("Discussion (4)");
    page.assert_lacks("A contested claim");
}

/// Change a comment's stored HTML without moving the article's version: a page still cached
/// shows the old text, a page rendered afresh the new one.
fn rewrite_behind_the_cache(app: &TestApp, id: i64, html: &str) {
    diesel::update(comments::table.find(id)).set(comments::body_html.eq(html)).execute(&mut conn(app)).unwrap();
}

#[tokio::test]
async fn made_up_cursors_cannot_push_the_hot_page_out_of_the_thread_cache() {
    let app = spawn_with(|s| s.thread_cache_size = 40).await;
    app.article("budget").await;
    trusted(&app).await;
    let ada = app.reader("ada").await;
    let mut roots = Vec::new();
    for i in 0..55 {
        roots.push(ada.comment("budget", &format!("Top-level comment {i}")).await);
    }
    let reader = app.client();
    let first = reader.get("/articles/budget").await;
    first.assert_contains("Top-level comment 0");
    let next = format!("/articles/budget?sort=oldest&after={}", roots[49]);
    first.assert_contains(&format!("after={}", roots[49]));
    reader.get(&next).await.assert_contains("Top-level comment 50");

    rewrite_behind_the_cache(&app, roots[0], "<p>Rewritten first</p>");
    rewrite_behind_the_cache(&app, roots[50], "<p>Rewritten second</p>");
    // Hundreds of cursors no page of this thread ever had, in every order.
    for junk in 0..150 {
        let cursor = match junk % 3 {
            0 => format!("sort=oldest&after={}", 1_000_000 + junk),
            1 => format!("sort=newest&after={}", 2_000_000 + junk),
            _ => format!("sort=top&after={}_{}", junk, roots[0]),
        };
        assert_eq!(reader.get(&format!("/articles/budget?{cursor}")).await.status, StatusCode::OK);
    }
    // Both real pages were served from the cache all along: they still show the old text.
    reader.get("/articles/budget").await.assert_contains("Top-level comment 0");
    reader.get(&next).await.assert_contains("Top-level comment 50");
    // (Rendered afresh, as for a signed-in reader, the page does show the new text.)
    ada.get("/articles/budget").await.assert_contains("Rewritten first");
}

/// An article published 40 days ago on a site that closes discussions after 30, swept closed,
/// and a reader who finds it closed.
async fn closed_by_age(slug: &str) -> (TestApp, Client) {
    let app = spawn().await;
    app.article(slug).await;
    trusted(&app).await;
    app.advance(chrono::Duration::days(40));
    app.site_settings(|s| s.auto_close_days = 30).await;
    civil::services::threads::close_expired_threads(&app.app).await.unwrap();
    let ada = app.reader("ada").await;
    assert_eq!(ada.try_comment(slug, "Still open?", None).await.status, StatusCode::CONFLICT);
    (app, ada)
}

#[tokio::test]
async fn a_reopened_discussion_stays_open_through_the_automatic_closing() {
    let (app, ada) = closed_by_age("old-news").await;

    let moderator = app.signed_in("mod1", Role::Moderator).await;
    let reopened = moderator.submit("/articles/old-news", "/moderation/articles/old-news/reopen", &[]).await;
    assert_eq!(reopened.status, StatusCode::SEE_OTHER, "{}", reopened.text);
    // The sweep runs every minute; a reopened discussion is not its business any more.
    assert_eq!(civil::services::threads::close_expired_threads(&app.app).await.unwrap(), 0);
    assert_eq!(ada.try_comment("old-news", "Open again!", None).await.status, StatusCode::CREATED);
    app.client().get("/articles/old-news").await.assert_lacks("The discussion on this article is closed.");

    // Until a moderator closes it again; then reopening works as before.
    let closed = moderator.submit("/articles/old-news", "/moderation/articles/old-news/close", &[]).await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER);
    assert_eq!(ada.try_comment("old-news", "And now?", None).await.status, StatusCode::CONFLICT);
    moderator.submit("/articles/old-news", "/moderation/articles/old-news/reopen", &[]).await;
    assert_eq!(civil::services::threads::close_expired_threads(&app.app).await.unwrap(), 0);
    assert_eq!(ada.try_comment("old-news", "Open once more.", None).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn ticking_a_closed_discussion_open_in_the_article_form_survives_the_automatic_closing() {
    let (app, ada) = closed_by_age("old-news").await;

    let admin = app.signed_in("chief", Role::Admin).await;
    let article = civil::services::articles::find_by_slug(&app.app, "old-news".into(), true).await.unwrap();
    let edit = format!("/admin/articles/{}/edit", article.id);
    let fields = [
        ("title", "Old news"),
        ("slug", "old-news"),
        ("author_name", "Sam"),
        ("summary", ""),
        ("body", "Text."),
        ("comments_open", "on"),
        ("publish", "on"),
    ];
    let saved = admin.submit(&edit, &format!("/admin/articles/{}", article.id), &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    assert_eq!(civil::services::threads::close_expired_threads(&app.app).await.unwrap(), 0);
    assert_eq!(ada.try_comment("old-news", "Open again!", None).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn dismissing_flags_on_a_removed_comment_keeps_the_removal_and_its_reason() {
    let app = spawn().await;
    app.article("budget").await;
    trusted(&app).await;
    let ada = app.reader("ada").await;
    let moderator = app.signed_in("mod1", Role::Moderator).await;
    let id = ada.comment("budget", "Cheap watches, great offer").await;
    let removed = act(&moderator, id, "remove").await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    app.client().get("/articles/budget").await.assert_contains("1 comment removed: spam");

    let other = app.signed_in("mod2", Role::Moderator).await;
    let dismissed = act(&other, id, "dismiss-flags").await;
    assert_eq!(dismissed.status, StatusCode::OK, "{}", dismissed.body);

    app.client().get("/articles/budget").await.assert_contains("1 comment removed: spam");
    let tab = other.api_get("/api/v1/moderation/queue?tab=removed").await;
    let items = tab.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", tab.body);
    assert_eq!(items[0]["status"], "removed");
    let (reason, moderated_by): (Option<String>, Option<i64>) = comments::table
        .find(id)
        .select((comments::removal_reason, comments::moderated_by))
        .first(&mut conn(&app))
        .unwrap();
    assert_eq!(reason.as_deref(), Some("spam"), "the removal keeps its reason");
    let remover: i64 = civil::store::schema::users::table
        .filter(civil::store::schema::users::username.eq("mod1"))
        .select(civil::store::schema::users::id)
        .first(&mut conn(&app))
        .unwrap();
    assert_eq!(moderated_by, Some(remover), "and who decided it");
}

#[tokio::test]
async fn the_queue_offers_a_moderator_no_decision_on_an_admins_removal() {
    let app = spawn().await;
    app.article("budget").await;
    trusted(&app).await;
    let ada = app.reader("ada").await;
    let admin = app.signed_in("chief", Role::Admin).await;
    let moderator = app.signed_in("mod1", Role::Moderator).await;
    let by_admin = ada.comment("budget", "Cheap watches, great offer").await;
    let by_moderator = ada.comment("budget", "Cheap watches, better offer").await;
    assert_eq!(act(&admin, by_admin, "remove").await.status, StatusCode::OK);
    assert_eq!(act(&moderator, by_moderator, "remove").await.status, StatusCode::OK);

    let queue = moderator.get("/moderation?tab=removed").await;
    queue.assert_contains("An admin removed this comment: only an admin can change that decision.");
    queue.assert_lacks(&format!("/moderation/comments/{by_admin}/approve"));
    queue.assert_contains(&format!("/moderation/comments/{by_moderator}/approve"));
    admin.get("/moderation?tab=removed").await.assert_contains(&format!("/moderation/comments/{by_admin}/approve"));
}
