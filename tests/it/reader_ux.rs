//! The reader's discussion without JavaScript: every write lands on the page of a large thread
//! where the reader acted, with the result said under the comment; the composer comes first;
//! pages link back; delete and a flag without its note take a second step instead of losing
//! anything.

use reqwest::StatusCode;

use crate::helpers::*;

/// An article with 60 top-level comments by `writer` (page 1 holds 50): returns their ids.
async fn sixty(app: &TestApp, slug: &str) -> Vec<i64> {
    app.article(slug).await;
    let writer = app.reader("writer").await;
    let mut ids = Vec::new();
    for i in 0..60 {
        ids.push(writer.comment(slug, &format!("Top-level comment number {i}.")).await);
    }
    ids
}

/// The address of the next page, as the page links to it.
fn next_page(page: &Page) -> String {
    let marker = r#"rel="next" data-more href=""#;
    let start = page.text.find(marker).expect("a link to the next page") + marker.len();
    page.text[start..].split('"').next().unwrap().replace("&amp;", "&")
}

/// The value of a hidden field in the page's first form that has it.
fn hidden(page: &Page, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = page.text.find(&marker).unwrap_or_else(|| panic!("no {name} field")) + marker.len();
    page.text[start..].split('"').next().unwrap().to_owned()
}

fn path_of(location: &str) -> &str {
    location.split('#').next().unwrap()
}

fn id_in(location: &str) -> i64 {
    location.rsplit("#comment-").next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn every_write_on_page_two_of_a_large_thread_lands_back_on_page_two() {
    let app = spawn().await;
    let ids = sixty(&app, "busy").await;
    let ada = app.reader("ada").await;
    let page_two = next_page(&ada.get("/articles/busy").await);
    let here = path_of(&page_two).to_owned();
    let page = ada.get(&here).await;
    page.assert_contains("Top-level comment number 55.");
    let after = hidden(&page, "after");
    let cursor = format!("after={after}");
    let on_page_two = |location: &str| {
        assert!(location.starts_with("/articles/busy?sort=oldest&") && location.contains(&cursor), "{location}");
    };

    // Post: the new comment is the last of page two, shown and announced.
    let posted = ada
        .submit(
            &here,
            "/articles/busy/comments",
            &[("body", "Written on page two."), ("sort", "oldest"), ("after", &after)],
        )
        .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.text);
    let location = posted.location().to_owned();
    on_page_two(&location);
    let mine = id_in(&location);
    assert!(location.contains(&format!("posted={mine}")), "{location}");
    let landed = ada.get(path_of(&location)).await;
    landed.assert_contains("Written on page two.");
    landed.assert_contains("Your comment is posted.");

    // Reply to a comment on page two.
    let parent = ids[55].to_string();
    let replied = ada
        .submit(
            &here,
            "/articles/busy/comments",
            &[("body", "A reply on page two."), ("parent_id", &parent), ("sort", "oldest"), ("after", &after)],
        )
        .await;
    on_page_two(replied.location());
    let reply = id_in(replied.location());
    ada.get(path_of(replied.location())).await.assert_contains("A reply on page two.");

    // Edit: the link and the form keep the page.
    let page = ada.get(&here).await;
    page.assert_contains(&format!("/comments/{mine}/edit?sort=oldest&amp;after={after}"));
    let edit_page = format!("/comments/{mine}/edit?sort=oldest&after={after}");
    let edit_form = ada.get(&edit_page).await;
    assert_eq!(hidden(&edit_form, "after"), after);
    let edited = ada
        .submit(
            &edit_page,
            &format!("/comments/{mine}/edit"),
            &[("body", "Edited on page two."), ("sort", "oldest"), ("after", &after)],
        )
        .await;
    on_page_two(edited.location());
    let landed = ada.get(path_of(edited.location())).await;
    landed.assert_contains("Edited on page two.");
    landed.assert_contains("Your edit is saved.");

    // Vote and flag someone else's comment on page two.
    let target = ids[57];
    let voted = ada
        .submit(&here, &format!("/comments/{target}/vote"), &[("value", "1"), ("sort", "oldest"), ("after", &after)])
        .await;
    on_page_two(voted.location());
    assert!(voted.location().ends_with(&format!("voted={target}#comment-{target}")), "{}", voted.location());
    ada.get(path_of(voted.location())).await.assert_contains("Your upvote is counted.");
    let flagged = ada
        .submit(
            &here,
            &format!("/comments/{target}/flag"),
            &[("reason", "spam"), ("sort", "oldest"), ("after", &after)],
        )
        .await;
    on_page_two(flagged.location());
    ada.get(path_of(flagged.location())).await.assert_contains("you flagged this comment");

    // Delete the reply: it is gone, and page two says so.
    let deleted =
        ada.submit(&here, &format!("/comments/{reply}/delete"), &[("sort", "oldest"), ("after", &after)]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.text);
    on_page_two(deleted.location());
    assert!(deleted.location().ends_with("#landed"), "{}", deleted.location());
    let landed = ada.get(path_of(deleted.location())).await;
    landed.assert_contains("Your comment is deleted.");
    landed.assert_lacks("A reply on page two.");
    landed.assert_contains("Top-level comment number 55.");
}

#[tokio::test]
async fn a_write_from_another_page_lands_on_the_page_that_shows_the_comment() {
    let app = spawn().await;
    let ids = sixty(&app, "busy").await;
    let ada = app.reader("ada").await;
    // Voting from page one (no cursor) on a comment of page two, as from its permalink.
    let target = ids[58];
    let voted = ada.submit("/articles/busy", &format!("/comments/{target}/vote"), &[("value", "1")]).await;
    let location = voted.location().to_owned();
    assert!(location.contains("after="), "{location}");
    ada.get(path_of(&location)).await.assert_contains("Top-level comment number 58.");
    // Newest first, a new comment is on the first page.
    let posted = ada
        .submit("/articles/busy", "/articles/busy/comments", &[("body", "The newest word."), ("sort", "newest")])
        .await;
    let location = posted.location().to_owned();
    assert!(location.starts_with("/articles/busy?sort=newest&posted="), "{location}");
    let first = ada.get(path_of(&location)).await;
    first.assert_contains("The newest word.");
}

#[tokio::test]
async fn a_rejected_post_comes_back_at_the_top_with_the_draft_and_the_page_kept() {
    let app = spawn().await;
    sixty(&app, "busy").await;
    app.site_settings(|s| s.words.banned = vec!["gammon".into()]).await;
    let ada = app.reader("ada").await;
    let here = path_of(&next_page(&ada.get("/articles/busy").await)).to_owned();
    let after = hidden(&ada.get(&here).await, "after");
    let refused = ada
        .submit(
            &here,
            "/articles/busy/comments",
            &[("body", "You absolute gammon."), ("sort", "oldest"), ("after", &after)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = &refused.text;
    let form = text.find(r#"id="comment-form""#).expect("the form");
    let draft = text.find("You absolute gammon.</textarea>").expect("the draft is kept");
    let error = text.find(r#"id="comment-form-error""#).expect("the error");
    let thread = text.find(r#"<ol class="thread">"#).expect("the thread");
    assert!(form < draft && draft < error && error < thread, "the form, its draft and error come before the thread");
    assert!(text[form..error].contains("autofocus"), "the field with the error takes the focus");
    // Still page two, and the form still knows it.
    refused.assert_contains("Top-level comment number 55.");
    refused.assert_lacks("Top-level comment number 5.");
    assert_eq!(hidden(&refused, "after"), after);
}

#[tokio::test]
async fn a_flag_without_its_note_asks_for_the_note_and_keeps_the_choice() {
    let app = spawn().await;
    app.article("budget").await;
    let writer = app.reader("writer").await;
    let id = writer.comment("budget", "Something odd.").await;
    let ada = app.reader("ada").await;
    let asked = ada.submit("/articles/budget", &format!("/comments/{id}/flag"), &[("reason", "other")]).await;
    assert_eq!(asked.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", asked.text);
    asked.assert_lacks("That did not work");
    asked.assert_contains(r#"<details class="flag" open>"#);
    asked.assert_contains(&format!(r#"name="reason-{id}" value="other" checked"#));
    asked.assert_contains(&format!(r#"id="flag-{id}-error" role="alert""#));
    let sent = ada
        .submit(
            "/articles/budget",
            &format!("/comments/{id}/flag"),
            &[("reason", "other"), ("note", "It is an advert.")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text);
    ada.get(path_of(sent.location())).await.assert_contains("you flagged this comment");
}

#[tokio::test]
async fn the_composer_comes_first_and_later_pages_link_back() {
    let app = spawn().await;
    app.article("long").await;
    let writer = app.reader("writer").await;
    for i in 0..120 {
        writer.comment("long", &format!("Comment {i} of many.")).await;
    }
    let ada = app.reader("ada").await;
    let first = ada.get("/articles/long").await;
    let heading = first.text.find("Discussion (120)").unwrap();
    let form = first.text.find(r#"id="comment-form""#).unwrap();
    let thread = first.text.find(r#"<ol class="thread">"#).unwrap();
    assert!(heading < form && form < thread, "heading, form, then the thread");
    first.assert_lacks(r#"rel="prev""#);
    let two = next_page(&first);
    let second = ada.get(path_of(&two)).await;
    second.assert_contains(r#"rel="prev" data-page href="/articles/long?sort=oldest#comments""#);
    let three = next_page(&second);
    let third = ada.get(path_of(&three)).await;
    third.assert_contains("First page");
    let back = path_of(&two).replace('&', "&amp;");
    third.assert_contains(&format!(r#"rel="prev" data-page href="{back}#comments""#));
    third.assert_contains("Comment 100 of many.");
}

#[tokio::test]
async fn the_site_default_order_is_the_admins_choice() {
    let app = spawn().await;
    app.article("budget").await;
    let writer = app.reader("writer").await;
    writer.comment("budget", "The older comment.").await;
    writer.comment("budget", "The newer comment.").await;
    let admin = app.signed_in("boss", civil::domain::role::Role::Admin).await;
    let form = admin.get("/admin/settings").await;
    form.assert_contains(r#"<select id="default_sort" name="default_sort""#);
    let refs = [
        ("premoderation", "off"),
        ("premoderation_approvals", "3"),
        ("masked_words_threshold", "3"),
        ("new_commenter_comments", "0"),
        ("new_commenter_days", "0"),
        ("repeat_window_hours", "0"),
        ("flag_threshold", "0"),
        ("auto_close_days", "0"),
        ("default_sort", "newest"),
    ];
    let saved = admin.submit("/admin/settings", "/admin/settings", &refs).await;
    assert!(saved.status.is_redirection() || saved.status.is_success(), "{}", saved.text);
    admin.get("/admin/settings").await.assert_contains(r#"<option value="newest" selected>"#);

    let page = app.client().get("/articles/budget").await;
    let (older, newer) = (page.text.find("The older comment.").unwrap(), page.text.find("The newer comment.").unwrap());
    assert!(newer < older, "newest first by default");
    page.assert_contains(r#"<strong aria-current="true">Newest</strong>"#);
    let chosen = app.client().get("/articles/budget?sort=oldest").await;
    assert!(chosen.text.find("The older comment.").unwrap() < chosen.text.find("The newer comment.").unwrap());
}

#[tokio::test]
async fn comments_show_avatars_staff_badges_share_links_and_fold_long_reply_runs() {
    let app = spawn().await;
    app.article("budget").await;
    let moderator = app.signed_in("moddy", civil::domain::role::Role::Moderator).await;
    let root = moderator.comment("budget", "A word from the desk.").await;
    let writer = app.reader("writer").await;
    for i in 0..6 {
        writer.reply("budget", root, &format!("Reply number {i}.")).await;
    }
    let page = app.client().get("/articles/budget").await;
    page.assert_contains(r#"<svg class="avatar""#);
    page.assert_contains(r#"<span class="badge staff-badge">Moderator</span>"#);
    page.assert_contains(&format!(r#"<a class="share" href="/comments/{root}" data-share>Share</a>"#));
    page.assert_contains("<summary>3 more replies</summary>");
    let (shown, folded) = (page.text.find("Reply number 2.").unwrap(), page.text.find("3 more replies").unwrap());
    assert!(shown < folded && folded < page.text.find("Reply number 3.").unwrap());
    // Delete asks first: the button that deletes is inside a step the reader opens.
    let own = moderator.get("/articles/budget").await;
    own.assert_contains(r#"<details class="delete"><summary>Delete</summary>"#);
    own.assert_contains("Delete this comment? This cannot be undone.");
}

#[tokio::test]
async fn subscribing_from_an_article_offers_the_way_back_to_it() {
    let app = spawn().await;
    app.article("budget").await;
    let reader = app.client();
    let subscribed = reader
        .submit("/articles/budget", "/newsletter", &[("email", "news@example.com"), ("next", "/articles/budget")])
        .await;
    assert_eq!(subscribed.status, StatusCode::OK, "{}", subscribed.text);
    subscribed.assert_contains("Check your inbox");
    subscribed.assert_contains(r#"<a class="back" href="/articles/budget">Back to where you were</a>"#);
    app.deliver().await;
    assert_eq!(app.smtp.to("news@example.com").len(), 1);
}
