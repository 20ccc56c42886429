use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn readers_post_comments_and_replies_through_the_form() {
    let app = spawn().await;
    app.article("budget").await;
    let ada = app.reader("ada").await;
    let posted = ada.submit("/articles/budget", "/articles/budget/comments", &[("body", "A *first* thought")]).await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.text);
    let location = posted.location().to_owned();
    assert!(location.starts_with("/articles/budget?sort=oldest&posted="), "{location}");
    let id: i64 = location.rsplit('-').next().unwrap().parse().unwrap();

    let bob = app.reader("bob").await;
    let reply_form = bob.get(&format!("/articles/budget?reply={id}")).await;
    reply_form.assert_contains(&format!(r#"id="reply-{id}""#));
    let replied = bob
        .submit("/articles/budget", "/articles/budget/comments", &[("body", "A reply"), ("parent_id", &id.to_string())])
        .await;
    assert_eq!(replied.status, StatusCode::SEE_OTHER, "{}", replied.text);

    let page = app.client().get("/articles/budget").await;
    page.assert_contains("Discussion (2)");
    page.assert_contains("<em>first</em>");
    page.assert_lacks("Be the first to comment.");
    let (first, reply) = (page.text.find("A <em>first</em> thought").unwrap(), page.text.find("A reply").unwrap());
    assert!(first < reply);
    assert!(page.text[first..reply].contains(r#"<ol class="replies">"#), "the reply nests under its parent");
}

#[tokio::test]
async fn bad_comments_get_a_clear_error_and_keep_the_draft() {
    let app = spawn().await;
    app.article("budget").await;
    app.article("other").await;
    app.article_with("closed", false).await;
    let ada = app.reader("ada").await;
    let elsewhere = ada.comment("other", "On another article").await;
    let long = "word ".repeat(2001);
    let cases: Vec<(&str, String, Option<String>, StatusCode, &str)> = vec![
        ("budget", "   ".into(), None, StatusCode::UNPROCESSABLE_ENTITY, "Write something before posting."),
        ("budget", long.clone(), None, StatusCode::UNPROCESSABLE_ENTITY, "at most 10000 characters"),
        (
            "budget",
            "Replying across".into(),
            Some(elsewhere.to_string()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not on this article",
        ),
        (
            "budget",
            "Replying to nothing".into(),
            Some("987654".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not on this article",
        ),
        (
            "budget",
            "Replying to garbage".into(),
            Some("abc".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not on this article",
        ),
        ("closed", "Too late".into(), None, StatusCode::CONFLICT, "The discussion on this article is closed."),
    ];
    for (slug, body, parent, status, message) in cases {
        let mut form = vec![("body", body.as_str())];
        if let Some(parent) = &parent {
            form.push(("parent_id", parent.as_str()));
        }
        let page = ada.submit(&format!("/articles/{slug}"), &format!("/articles/{slug}/comments"), &form).await;
        assert_eq!(page.status, status, "{message}");
        page.assert_contains(message);
        if !body.trim().is_empty() && slug != "closed" {
            page.assert_contains(body.trim());
        }
    }
    // The API gives the same answers as JSON.
    let empty = ada.try_comment("budget", "", None).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(empty.error_code(), "invalid");
    assert_eq!(empty.body["error"]["field"], "body");
    let closed = ada.try_comment("closed", "hi", None).await;
    assert_eq!(closed.status, StatusCode::CONFLICT);
    assert_eq!(closed.error_code(), "closed");
    let across = ada.try_comment("budget", "hi", Some(elsewhere)).await;
    assert_eq!(across.body["error"]["field"], "parent_id");
    let nowhere = ada.try_comment("missing", "hi", None).await;
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
    assert_eq!(app.client().get("/articles/budget").await.text.matches("class=\"comment").count(), 0);
}

#[tokio::test]
async fn comments_render_safe_markdown() {
    let app = spawn().await;
    app.article("budget").await;
    // Links from new commenters are held; this reader is trusted from the start.
    app.site_settings(|s| {
        s.policy.new_commenter_comments = 0;
        s.policy.new_commenter_days = 0;
    })
    .await;
    let ada = app.reader("ada").await;
    let id = ada
        .comment("budget", "> quoted\n\n- one\n- two\n\n`code` and [a link](https://example.com)\n\n![img](https://x.example/i.png)<script>alert(1)</script>")
        .await;
    let thread = app.client().thread("budget", "").await;
    let html = thread.body["comments"][0]["body_html"].as_str().unwrap();
    assert!(
        html.contains("<blockquote>") && html.contains("<li>one</li>") && html.contains("<code>code</code>"),
        "{html}"
    );
    assert!(html.contains(r#"rel="nofollow ugc noopener""#), "{html}");
    assert!(!html.contains("<img") && !html.contains("<script"), "{html}");
    let page = app.client().get("/articles/budget").await;
    page.assert_contains(&format!(r#"id="comment-{id}""#));
    page.assert_lacks("<script>alert");
}

#[tokio::test]
async fn deep_replies_keep_their_parent_and_say_whom_they_answer() {
    let app = spawn().await;
    app.article("budget").await;
    let ada = app.reader("ada").await;
    let mut parent = ada.comment("budget", "depth 0").await;
    let mut chain = vec![parent];
    for depth in 1..=8 {
        parent = ada.reply("budget", parent, &format!("depth {depth}")).await;
        chain.push(parent);
    }
    let thread = app.client().thread("budget", "").await;
    // The API nests six levels; deeper replies sit beside the sixth and name their parent.
    let mut node = &thread.body["comments"][0];
    for (depth, id) in chain.iter().enumerate().take(5) {
        assert_eq!(node["id"].as_i64().unwrap(), *id, "depth {depth}");
        if depth < 4 {
            node = &node["replies"][0];
        }
    }
    let sixth: Vec<(i64, i64)> = node["replies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_i64().unwrap(), r["parent_id"].as_i64().unwrap()))
        .collect();
    assert_eq!(sixth, (5..9).map(|d| (chain[d], chain[d - 1])).collect::<Vec<_>>());
    let page = app.client().get("/articles/budget").await;
    assert_eq!(page.text.matches(r#"<ol class="replies">"#).count(), 5, "six visual levels");
    page.assert_contains(&format!(r##"href="#comment-{}">in reply to ada"##, chain[6]));
    page.assert_contains(&format!(r##"href="#comment-{}">in reply to ada"##, chain[7]));
}

#[tokio::test]
async fn authors_edit_within_the_window_and_nobody_else_can() {
    let app = spawn().await;
    app.article("budget").await;
    let ada = app.reader("ada").await;
    let bob = app.reader("bob").await;
    let id = ada.comment("budget", "Frist").await;

    let form = ada.get(&format!("/comments/{id}/edit")).await;
    form.assert_contains("Frist");
    let saved =
        ada.submit(&format!("/comments/{id}/edit"), &format!("/comments/{id}/edit"), &[("body", "First")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    let page = app.client().get("/articles/budget").await;
    page.assert_contains("First");
    page.assert_contains("edited");

    let empty = ada.submit(&format!("/comments/{id}/edit"), &format!("/comments/{id}/edit"), &[("body", " ")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);

    assert_eq!(bob.get(&format!("/comments/{id}/edit")).await.status, StatusCode::FORBIDDEN);
    let theirs = bob.api_patch(&format!("/api/v1/comments/{id}"), json!({"body": "hijacked"})).await;
    assert_eq!(theirs.status, StatusCode::FORBIDDEN);
    let edited = ada.api_patch(&format!("/api/v1/comments/{id}"), json!({"body": "First, edited twice"})).await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    assert!(edited.body["edited_at"].is_string());
}

#[tokio::test]
async fn editing_after_the_window_is_refused_with_the_text_kept() {
    let app = spawn_with(|s| s.edit_window_minutes = 15).await;
    app.article("budget").await;
    let ada = app.reader("ada").await;
    let id = ada.comment("budget", "Too late to change").await;
    app.advance(chrono::Duration::minutes(14));
    let in_time = ada.api_patch(&format!("/api/v1/comments/{id}"), json!({"body": "changed in time"})).await;
    assert_eq!(in_time.status, StatusCode::OK, "{}", in_time.body);
    app.advance(chrono::Duration::minutes(2));
    let late = ada.api_patch(&format!("/api/v1/comments/{id}"), json!({"body": "changed"})).await;
    assert_eq!(late.status, StatusCode::FORBIDDEN);
    assert!(late.body["error"]["message"].as_str().unwrap().contains("15 minutes"));
    assert_eq!(ada.get(&format!("/comments/{id}/edit")).await.status, StatusCode::FORBIDDEN);
    let token = ada.get("/articles/budget").await.csrf();
    let page =
        ada.post_form(&format!("/comments/{id}/edit"), &[("csrf_token", &token), ("body", "my new wording")]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    page.assert_contains("my new wording");
}

#[tokio::test]
async fn deleting_keeps_the_shape_of_the_thread() {
    let app = spawn().await;
    app.article("budget").await;
    let ada = app.reader("ada").await;
    let bob = app.reader("bob").await;
    let parent = ada.comment("budget", "Parent text").await;
    let reply = bob.reply("budget", parent, "Reply text").await;
    let lonely = ada.comment("budget", "Lonely text").await;

    assert_eq!(bob.api_delete(&format!("/api/v1/comments/{parent}")).await.status, StatusCode::FORBIDDEN);
    let deleted = ada.submit("/articles/budget", &format!("/comments/{parent}/delete"), &[]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert_eq!(ada.api_delete(&format!("/api/v1/comments/{lonely}")).await.status, StatusCode::NO_CONTENT);

    let page = app.client().get("/articles/budget").await;
    page.assert_contains("[deleted]");
    page.assert_lacks("Parent text");
    page.assert_lacks("Lonely text");
    page.assert_contains("Reply text");
    page.assert_contains("Discussion (1)");
    let thread = app.client().thread("budget", "").await;
    assert_eq!(ids(&thread.body["comments"]), vec![parent, reply]);
    assert_eq!(thread.body["comments"][0]["status"], "deleted");
    assert!(thread.body["comments"][0]["author"].is_null());
    assert_eq!(thread.body["total"], 1);

    // When the last reply goes, the placeholder goes too.
    assert_eq!(bob.api_delete(&format!("/api/v1/comments/{reply}")).await.status, StatusCode::NO_CONTENT);
    let thread = app.client().thread("budget", "").await;
    assert_eq!(ids(&thread.body["comments"]), Vec::<i64>::new());
    let page = app.client().get("/articles/budget").await;
    page.assert_contains("Be the first to comment.");
    assert_eq!(ada.api_delete(&format!("/api/v1/comments/{parent}")).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn readers_upvote_once_and_can_take_it_back() {
    let app = spawn().await;
    app.article("budget").await;
    let ada = app.reader("ada").await;
    let bob = app.reader("bob").await;
    let id = ada.comment("budget", "Vote for me").await;
    let path = format!("/api/v1/comments/{id}/vote");
    assert_eq!(bob.api_post(&path, json!({"value": 1})).await.body["score"], 1);
    assert_eq!(bob.api_post(&path, json!({"value": 1})).await.body["score"], 1, "only once");
    let thread = bob.thread("budget", "").await;
    assert_eq!(thread.body["comments"][0]["voted"], true);
    assert_eq!(bob.api_post(&path, json!({"value": 0})).await.body["score"], 0);
    assert_eq!(ada.api_post(&path, json!({"value": 1})).await.status, StatusCode::FORBIDDEN, "not on one's own");
    assert_eq!(bob.api_post(&path, json!({"value": 5})).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The form works without JavaScript.
    let voted = bob.submit("/articles/budget", &format!("/comments/{id}/vote"), &[("value", "1")]).await;
    assert_eq!(voted.status, StatusCode::SEE_OTHER);
    let page = bob.get("/articles/budget").await;
    page.assert_contains(r#"aria-pressed="true""#);
    app.client().get("/articles/budget").await.assert_contains("1 point");
}

#[tokio::test]
async fn sort_orders_keep_replies_in_reading_order() {
    let app = spawn().await;
    app.article("budget").await;
    let ada = app.reader("ada").await;
    let voters = [app.reader("voter1").await, app.reader("voter2").await];
    let a = ada.comment("budget", "A").await;
    let b = ada.comment("budget", "B").await;
    let c = ada.comment("budget", "C").await;
    let a1 = ada.reply("budget", a, "A1").await;
    let a2 = ada.reply("budget", a, "A2").await;
    let a1x = ada.reply("budget", a1, "A1x").await;
    for v in &voters {
        v.api_post(&format!("/api/v1/comments/{b}/vote"), json!({"value": 1})).await;
        v.api_post(&format!("/api/v1/comments/{a2}/vote"), json!({"value": 1})).await;
    }
    voters[0].api_post(&format!("/api/v1/comments/{c}/vote"), json!({"value": 1})).await;
    let order = |sort: &'static str| {
        let client = app.client();
        async move { ids(&client.thread("budget", &format!("?sort={sort}")).await.body["comments"]) }
    };
    assert_eq!(order("oldest").await, vec![a, a1, a1x, a2, b, c]);
    assert_eq!(order("newest").await, vec![c, b, a, a1, a1x, a2]);
    assert_eq!(order("top").await, vec![b, c, a, a1, a1x, a2]);
    let bad = app.client().thread("budget", "?sort=loudest").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = app.client().get("/articles/budget?sort=newest").await;
    assert!(page.text.find("<p>C</p>").unwrap() < page.text.find("<p>A</p>").unwrap());
}

#[tokio::test]
async fn large_threads_page_by_top_level_comment_with_a_cursor() {
    let app = spawn().await;
    app.article("budget").await;
    let ada = app.reader("ada").await;
    let mut roots = Vec::new();
    for i in 0..7 {
        let id = ada.comment("budget", &format!("root {i}")).await;
        ada.reply("budget", id, &format!("reply to {i}")).await;
        roots.push(id);
    }
    let client = app.client();
    let mut seen = Vec::new();
    let mut after = String::new();
    let mut pages = 0;
    loop {
        let page = client.thread("budget", &format!("?limit=3{after}")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert_eq!(page.body["total"], 14);
        for c in page.body["comments"].as_array().unwrap() {
            seen.push(c["id"].as_i64().unwrap());
            assert_eq!(c["replies"].as_array().unwrap().len(), 1, "each root comes with its replies");
        }
        pages += 1;
        match page.body["next_cursor"].as_str() {
            Some(next) => after = format!("&after={next}"),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, roots);
    let top = client.thread("budget", "?sort=top&limit=4").await;
    let next = top.body["next_cursor"].as_str().unwrap().to_owned();
    let rest = client.thread("budget", &format!("?sort=top&limit=4&after={next}")).await;
    assert_eq!(top.body["comments"].as_array().unwrap().len() + rest.body["comments"].as_array().unwrap().len(), 7);
    assert_eq!(client.thread("budget", "?after=xyz").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(client.thread("budget", "?limit=0").await.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_page_shows_a_link_to_the_next_page_and_permalinks_find_their_page() {
    let app = spawn().await;
    app.article("busy").await;
    let ada = app.reader("ada").await;
    let mut last = 0;
    for i in 0..55 {
        last = ada.comment("busy", &format!("Comment number {i}.")).await;
    }
    let page = app.client().get("/articles/busy").await;
    page.assert_contains("Discussion (55)");
    page.assert_contains("More comments");
    page.assert_lacks("Comment number 54.");
    let permalink = app.client().get(&format!("/comments/{last}")).await;
    assert_eq!(permalink.status, StatusCode::SEE_OTHER);
    let target = permalink.location().to_owned();
    assert!(target.starts_with("/articles/busy?after="), "{target}");
    assert!(target.ends_with(&format!("#comment-{last}")));
    let landing = app.client().get(target.split('#').next().unwrap()).await;
    landing.assert_contains("Comment number 54.");
}

#[tokio::test]
async fn profanity_is_masked_in_public_and_kept_for_moderators() {
    let app = spawn().await;
    app.article("budget").await;
    let ada = app.reader("ada").await;
    let id = ada.comment("budget", "This is fucking ridiculous, the shit they pull in Scunthorpe.").await;
    let page = app.client().get("/articles/budget").await;
    page.assert_lacks("fucking");
    page.assert_lacks("shit ");
    page.assert_contains("f****** ridiculous");
    page.assert_contains("Scunthorpe");
    let api = app.client().thread("budget", "").await;
    let html = api.body["comments"][0]["body_html"].as_str().unwrap();
    assert!(!html.contains("fucking") && html.contains("s***"), "{html}");
    let (raw, _) = civil::services::comments::for_editing(
        &app.app,
        &civil::services::accounts::find_by_username(&app.app, "ada").await.unwrap(),
        id,
    )
    .await
    .unwrap();
    assert!(raw.body_raw.contains("fucking"), "the original is stored");
}

#[tokio::test]
async fn permalinks_redirect_to_the_comment() {
    let app = spawn().await;
    app.article("budget").await;
    let ada = app.reader("ada").await;
    let id = ada.comment("budget", "Link to me").await;
    let response = app.client().get(&format!("/comments/{id}")).await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    assert_eq!(response.location(), format!("/articles/budget#comment-{id}"));
}

#[tokio::test]
async fn anonymous_readers_cannot_post() {
    let app = spawn().await;
    app.article("budget").await;
    let mut anon = app.client();
    anon.fetch_csrf().await;
    let api = anon.try_comment("budget", "hello", None).await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
    let page = anon.submit("/signin", "/articles/budget/comments", &[("body", "hello")]).await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    page.assert_contains("Sign in to do that.");
}

#[tokio::test]
async fn simultaneous_votes_from_one_reader_count_once() {
    let app = spawn().await;
    app.article("budget").await;
    let ada = app.reader("ada").await;
    let bob = app.reader("bob").await;
    let id = ada.comment("budget", "Popular").await;
    let path = format!("/api/v1/comments/{id}/vote");
    let votes = futures_util::future::join_all((0..8).map(|_| bob.api_post(&path, json!({"value": 1})))).await;
    for vote in &votes {
        assert_eq!(vote.status, StatusCode::OK, "{}", vote.body);
    }
    let thread = app.client().thread("budget", "").await;
    assert_eq!(thread.body["comments"][0]["score"], 1);
}

#[tokio::test]
async fn emphasis_next_to_a_word_is_not_mistaken_for_profanity() {
    let app = spawn().await;
    app.article("budget").await;
    let ada = app.reader("ada").await;
    let created =
        ada.try_comment("budget", "Students who *really* care should come, and **shit** happens.", None).await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.body["status"], "published", "{}", created.body);
    let html = created.body["body_html"].as_str().unwrap();
    assert!(html.contains("who <em>really</em> care"), "{html}");
    assert!(html.contains("<strong>s***</strong>"), "{html}");
}
