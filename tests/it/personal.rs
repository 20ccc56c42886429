//! Signed-in readers' article pages come from one shared rendering of the thread with each
//! reader's own comments and votes put in (`http::thread::personal`), joined into one gzip
//! stream from pieces compressed ahead. These tests check that everything personal stays
//! personal, whoever filled the cache first, and that writes show on the next view, also when
//! another instance made them.

use std::io::Read;

use civil::domain::moderation::Premoderation;
use civil::domain::role::Role;
use serde_json::json;

use crate::helpers::{spawn, spawn_on, Client, Page};

/// The page as a browser gets it (`Accept-Encoding: br, gzip`), decoded, with its encoding.
async fn compressed(client: &Client, path: &str) -> (String, String) {
    let response =
        client.http.get(client.url(path)).header("accept-encoding", "br, gzip").send().await.expect("request");
    assert_eq!(response.status(), 200, "{path}");
    let encoding = response.headers().get("content-encoding").map(|v| v.to_str().unwrap().to_owned());
    let bytes = response.bytes().await.unwrap();
    let mut text = String::new();
    match encoding.as_deref() {
        Some("gzip") => {
            flate2::read::GzDecoder::new(&bytes[..])
                .read_to_string(&mut text)
                .expect("one valid gzip stream, CRC and all");
        }
        Some("br") => {
            brotli::Decompressor::new(&bytes[..], 4096).read_to_string(&mut text).expect("brotli");
        }
        other => panic!("{path}: compressed as {other:?}"),
    }
    (text, encoding.unwrap())
}

/// A reader whose page is joined from the shared thread gets it as gzip.
async fn joined(client: &Client, path: &str) -> Page {
    let (_, encoding) = compressed(client, path).await;
    assert_eq!(encoding, "gzip", "{path}: joined from the shared thread");
    view(client, path).await
}

/// The page both ways, which must be the same page.
async fn view(client: &Client, path: &str) -> Page {
    let plain = client.get(path).await;
    assert_eq!(plain.status, 200);
    let (unzipped, _) = compressed(client, path).await;
    assert_eq!(unzipped, plain.text, "{path}: the gzip join holds exactly the plain page");
    plain
}

fn edit_link(id: i64) -> String {
    format!("href=\"/comments/{id}/edit")
}

fn pressed(id: i64) -> String {
    format!("formaction=\"/comments/{id}/vote\" name=\"value\" value=\"0\" aria-pressed=\"true\"")
}

fn unpressed(id: i64) -> String {
    format!("formaction=\"/comments/{id}/vote\" name=\"value\" value=\"1\" aria-pressed=\"false\"")
}

#[tokio::test]
async fn one_reader_never_sees_anothers_controls_votes_held_comments_or_token() {
    let app = spawn().await;
    app.article("story").await;
    let ada = app.reader("ada").await;
    let bob = app.reader("bob").await;
    let carol = app.reader("carol").await;
    let a1 = ada.comment("story", "Ada's first comment.").await;
    let b1 = bob.comment("story", "Bob's first comment.").await;
    let c1 = carol.comment("story", "Carol's comment.").await;
    let reply = carol.reply("story", a1, "Carol answers Ada.").await;
    assert_eq!(ada.api_post(&format!("/api/v1/comments/{c1}/vote"), json!({"value": 1})).await.status, 200);
    app.site_settings(|s| s.policy.premoderation = Premoderation::Everyone).await;
    let held = bob.try_comment("story", "Bob's held comment.", None).await;
    assert_eq!(held.body["status"], "pending");
    let held = held.body["id"].as_i64().unwrap();

    // Each order of first views: whoever fills the cache, the others see only their own.
    for first_ada in [true, false] {
        let (ada_page, bob_page) = if first_ada {
            let a = view(&ada, "/articles/story").await;
            (a, view(&bob, "/articles/story").await)
        } else {
            let b = view(&bob, "/articles/story").await;
            (view(&ada, "/articles/story").await, b)
        };
        let carol_page = view(&carol, "/articles/story").await;

        ada_page.assert_contains(&edit_link(a1));
        ada_page.assert_lacks(&edit_link(b1));
        ada_page.assert_lacks(&edit_link(reply));
        ada_page.assert_contains(&pressed(c1));
        ada_page.assert_contains(&unpressed(b1));
        ada_page.assert_contains(&unpressed(reply));
        ada_page.assert_lacks("Bob's held comment.");
        ada_page.assert_lacks(&format!("id=\"comment-{held}\""));

        bob_page.assert_contains(&edit_link(b1));
        bob_page.assert_lacks(&edit_link(a1));
        bob_page.assert_contains(&unpressed(c1));
        bob_page.assert_lacks("aria-pressed=\"true\"");
        bob_page.assert_contains("Bob's held comment.");
        bob_page.assert_contains("Awaiting moderation");

        joined(&carol, "/articles/story").await;
        joined(&ada, "/articles/story").await;
        carol_page.assert_contains(&edit_link(c1));
        carol_page.assert_contains(&edit_link(reply));
        carol_page.assert_lacks(&edit_link(a1));
        carol_page.assert_lacks("aria-pressed=\"true\"");
        carol_page.assert_lacks("Bob's held comment.");

        // Each page carries its own session's token, once per form, and nobody else's.
        let tokens = [ada_page.csrf(), bob_page.csrf(), carol_page.csrf()];
        for (i, page) in [&ada_page, &bob_page, &carol_page].into_iter().enumerate() {
            for (j, token) in tokens.iter().enumerate() {
                if i != j {
                    page.assert_lacks(token);
                }
            }
            assert!(page.text.matches(tokens[i].as_str()).count() < 10, "the token is not repeated per comment");
            page.assert_lacks("/moderation/comments/");
        }
    }
}

#[tokio::test]
async fn moderators_see_their_controls_and_every_held_comment_after_readers_filled_the_cache() {
    let app = spawn().await;
    app.article("story").await;
    let ada = app.reader("ada").await;
    let bob = app.reader("bob").await;
    let published = ada.comment("story", "A published comment.").await;
    app.site_settings(|s| s.policy.premoderation = Premoderation::Everyone).await;
    let held = bob.try_comment("story", "A held comment.", None).await.body["id"].as_i64().unwrap();
    view(&ada, "/articles/story").await.assert_lacks("A held comment.");

    let moderator = app.signed_in("marta", Role::Moderator).await;
    let page = view(&moderator, "/articles/story").await;
    page.assert_contains("A held comment.");
    page.assert_contains(&format!("action=\"/moderation/comments/{held}/approve\""));
    page.assert_contains(&format!("action=\"/moderation/comments/{published}/feature\""));
    page.assert_contains(&format!("action=\"/moderation/comments/{published}/remove\""));

    // And the reader after the moderator: nothing of the moderator's.
    let again = view(&ada, "/articles/story").await;
    again.assert_lacks("/moderation/comments/");
    again.assert_lacks("A held comment.");
    again.assert_contains(&edit_link(published));
}

#[tokio::test]
async fn a_readers_writes_show_on_their_next_view_also_from_another_instance() {
    let app = spawn().await;
    let other = spawn_on(app.db.clone(), |_| {}).await;
    app.article("story").await;
    let ada = app.reader("ada").await;
    let bob = app.reader("bob").await;
    let b1 = bob.comment("story", "Bob's comment.").await;
    view(&ada, "/articles/story").await.assert_contains(&unpressed(b1));

    // A vote without JavaScript: the page's vote form with the button's action and value.
    let page = ada.get("/articles/story").await;
    let voted = ada.post_form(&format!("/comments/{b1}/vote"), &[("csrf_token", &page.csrf()), ("value", "1")]).await;
    assert_eq!(voted.status, 303, "{}", voted.text);
    joined(&ada, "/articles/story").await.assert_contains(&pressed(b1));

    // A new comment, then an edit, by the reader.
    let mine = ada.comment("story", "Ada's new comment.").await;
    let page = view(&ada, "/articles/story").await;
    page.assert_contains("Ada's new comment.");
    page.assert_contains(&edit_link(mine));
    let edited = ada.api_patch(&format!("/api/v1/comments/{mine}"), json!({"body": "Ada's edited comment."})).await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    view(&ada, "/articles/story").await.assert_contains("Ada's edited comment.");

    // Past the edit window, the edit control goes; the delete stays.
    app.advance(chrono::TimeDelta::days(2));
    let page = view(&ada, "/articles/story").await;
    page.assert_lacks(&edit_link(mine));
    page.assert_contains(&format!("action=\"/comments/{mine}/delete\""));

    // The same reader on the other instance: a vote taken back and a comment deleted there show
    // on this instance's next view, and the other way round.
    let mut ada_there = other.client();
    ada_there.sign_in("ada", crate::helpers::PASSWORD).await;
    view(&ada_there, "/articles/story").await.assert_contains(&pressed(b1));
    assert_eq!(ada_there.api_post(&format!("/api/v1/comments/{b1}/vote"), json!({"value": 0})).await.status, 200);
    assert_eq!(ada_there.api_delete(&format!("/api/v1/comments/{mine}")).await.status.as_u16() / 100, 2);
    let page = view(&ada, "/articles/story").await;
    page.assert_contains(&unpressed(b1));
    page.assert_lacks("Ada's edited comment.");
    let b2 = bob.comment("story", "Bob's second comment.").await;
    view(&ada_there, "/articles/story").await.assert_contains(&unpressed(b2));

    // A held comment of the reader's own shows to them, in place, at once.
    app.site_settings(|s| s.policy.premoderation = Premoderation::Everyone).await;
    ada.try_comment("story", "Ada's held comment.", None).await;
    let page = view(&ada, "/articles/story").await;
    page.assert_contains("Ada's held comment.");
    page.assert_contains("Awaiting moderation");
    view(&bob, "/articles/story").await.assert_lacks("Ada's held comment.");
}

#[tokio::test]
async fn flags_without_javascript_go_through_the_pages_one_flag_form() {
    let app = spawn().await;
    app.article("story").await;
    let ada = app.reader("ada").await;
    let bob = app.reader("bob").await;
    let b1 = bob.comment("story", "Buy cheap watches.").await;
    let b2 = bob.comment("story", "Another comment.").await;
    let page = view(&ada, "/articles/story").await;
    page.assert_contains("<form id=\"civil-flag\" method=\"post\" hidden>");
    page.assert_contains(&format!("form=\"civil-flag\" name=\"reason-{b1}\" value=\"spam\""));
    page.assert_contains(&format!("form=\"civil-flag\" formaction=\"/comments/{b1}/flag\""));

    // What the browser sends: the token, every comment's note box, and the chosen reason.
    let token = page.csrf();
    let (b1_note, b2_note) = (format!("note-{b1}"), format!("note-{b2}"));
    let (b1_reason, b2_reason) = (format!("reason-{b1}"), format!("reason-{b2}"));
    let sent = ada
        .post_form(
            &format!("/comments/{b1}/flag"),
            &[("csrf_token", &token), ("sort", "oldest"), (&b1_reason, "spam"), (&b1_note, ""), (&b2_note, "")],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.text);
    assert!(sent.location().contains(&format!("flagged={b1}")), "{}", sent.location());

    // "Something else" with no note comes back open with the choice and the error; with the
    // note (the flagged comment's own box) it is sent.
    let again = ada
        .post_form(
            &format!("/comments/{b2}/flag"),
            &[("csrf_token", &token), (&b2_reason, "other"), (&b1_note, "not this one"), (&b2_note, "")],
        )
        .await;
    assert_eq!(again.status, 422, "{}", again.text);
    again.assert_contains(&format!("id=\"flag-{b2}-error\""));
    let sent = ada
        .post_form(
            &format!("/comments/{b2}/flag"),
            &[("csrf_token", &token), (&b2_reason, "other"), (&b2_note, "It is an advert.")],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.text);

    // Without the session's token, no flag.
    let refused = ada.post_form(&format!("/comments/{b1}/flag"), &[(&b1_reason, "spam")]).await;
    assert_eq!(refused.status, 403);
}
