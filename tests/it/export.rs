//! `civil export` and `civil import civil`: a site built through the app, exported, restored into
//! a fresh database and exported again gives the same bytes, and the restored site answers as
//! the original did.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use civil::domain::canonical_url::Origin;
use civil::domain::role::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::cli::{civil, ok};
use crate::helpers::*;

const SECTIONS: [&str; 12] = [
    "site_settings",
    "users",
    "articles",
    "embed_sites",
    "comments",
    "comment_votes",
    "comment_flags",
    "moderation_log",
    "subscribers",
    "newsletter_issues",
    "webhooks",
    "import_sources",
];

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import").join(name).to_string_lossy().into_owned()
}

fn path_of(link: &str) -> String {
    let after_scheme = link.split_once("://").map_or(link, |(_, rest)| rest);
    after_scheme.find('/').map_or("/".to_owned(), |i| after_scheme[i..].to_owned())
}

fn migrated(db: TestDatabase) -> Arc<TestDatabase> {
    ok(&civil(&db, &["migrate"], ""));
    Arc::new(db)
}

/// Export `db` to a file in `dir`; its bytes.
fn export(db: &TestDatabase, dir: &Path, name: &str, secrets: bool) -> Vec<u8> {
    let file = dir.join(name);
    let file = file.to_str().unwrap();
    let mut args = vec!["export", file];
    if secrets {
        args.push("--with-secrets");
    }
    let report = ok(&civil(db, &args, ""));
    assert!(report.contains("Exported to"), "{report}");
    std::fs::read(file).unwrap()
}

fn restore(db: &TestDatabase, file: &Path) -> String {
    ok(&civil(db, &["import", "civil", file.to_str().unwrap()], ""))
}

fn refused(db: &TestDatabase, args: &[&str], stdin: &str) -> String {
    let output = civil(db, args, stdin);
    assert!(!output.status.success(), "expected a refusal: {}", String::from_utf8_lossy(&output.stdout));
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// What readers get from a site: the thread APIs, the pages' comments, the counts, a permalink.
async fn answers(app: &TestApp, slugs: &[String], permalink: i64) -> Vec<Value> {
    let anon = app.client();
    let mut out = vec![anon.api_get("/api/v1/articles").await.body];
    for slug in slugs {
        for query in ["", "?sort=top"] {
            let thread = anon.thread(slug, query).await;
            assert_eq!(thread.status, StatusCode::OK, "{}", thread.body);
            out.push(thread.body);
        }
        let page = anon.get(&format!("/articles/{slug}")).await;
        assert_eq!(page.status, StatusCode::OK);
        // The page's comments as they are shown, from the first comment's anchor on.
        let start = page.text.find("id=\"comment-").expect("the page shows comments");
        let end = page.text.rfind("</article>").filter(|&e| e > start).unwrap_or(page.text.len());
        out.push(Value::String(page.text[start..end].to_owned()));
    }
    let link = anon.get(&format!("/comments/{permalink}")).await;
    out.push(json!([link.status.as_u16(), link.headers.get("location").map(|l| l.to_str().unwrap().to_owned())]));
    out
}

#[tokio::test]
async fn export_import_export_gives_the_same_bytes_and_the_restored_site_answers_the_same() {
    let db = migrated(TestDatabase::new());
    // Comments from another system first, so that their import record comes across too.
    ok(&civil(&db, &["import", "disqus", &fixture("isso-disqus.xml")], ""));
    let app =
        spawn_on(db.clone(), |s| s.embed_origins = vec![Origin::parse("https://news.example.com").unwrap()]).await;
    let admin = app.signed_in("chief", Role::Admin).await;
    let moderator = app.signed_in("warden", Role::Moderator).await;
    let ada = app.reader("ada").await;
    let bob = app.reader("bob").await;
    let carl = app.reader("carl").await;

    app.article("budget").await;
    app.site_settings(|s| {
        s.words.banned = vec!["gammon".into()];
        s.words.suspect = vec!["snowflake".into()];
    })
    .await;
    let first = ada.comment("budget", "The budget leaves out the harbour, which is a shame.").await;
    let reply = bob.reply("budget", first, "It does not: see page **twelve**.").await;
    let deeper = ada.reply("budget", reply, "Page twelve is the old plan, I think.").await;
    let edited = ada
        .api_patch(&format!("/api/v1/comments/{first}"), json!({"body": "The budget leaves out the harbour entirely."}))
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    for (voter, id) in [(&bob, first), (&carl, deeper)] {
        let voted = voter.api_post(&format!("/api/v1/comments/{id}/vote"), json!({"value": 1})).await;
        assert!(voted.status.is_success(), "{}", voted.body);
    }
    let spam = carl.comment("budget", "Cheap watches, best prices, visit my shop today.").await;
    let flagged =
        ada.api_post(&format!("/api/v1/comments/{spam}/flags"), json!({"reason": "spam", "note": "an advert"})).await;
    assert!(flagged.status.is_success(), "{}", flagged.body);
    let removed = moderator
        .api_post(
            &format!("/api/v1/moderation/comments/{spam}/remove"),
            json!({"reason": "spam", "note": "No adverts."}),
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    let suspect = bob.comment("budget", "Only a snowflake would mind the harbour.").await;
    let approved = moderator.api_post(&format!("/api/v1/moderation/comments/{suspect}/approve"), json!({})).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    let carl_id = civil::services::accounts::find_by_username(&app.app, "carl").await.unwrap().id;
    let banned = admin.api_post(&format!("/api/v1/moderation/users/{carl_id}/ban"), json!({"reason": "Adverts"})).await;
    assert_eq!(banned.status, StatusCode::OK, "{}", banned.body);
    let deleted = ada.api_delete(&format!("/api/v1/comments/{deeper}")).await;
    assert!(deleted.status.is_success(), "{}", deleted.body);

    // An embedding site with a meaningful parameter, and a thread on it.
    let added =
        admin.submit("/admin/sites", "/admin/sites", &[("origin", "https://blog.example"), ("params", "id")]).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text);
    let url = "https://blog.example/story.php?id=7&utm_source=feed";
    let embed = app.client().get(&format!("/embed/thread?url={}&title=Story", urlencoding::encode(url))).await;
    assert_eq!(embed.status, StatusCode::OK, "{}", embed.text);
    let threads = civil::services::embeds::threads(&app.app, civil::services::Actor::Operator).await.unwrap();
    let external =
        threads.iter().find(|t| t.canonical_url.as_deref() == Some("https://blog.example/story.php?id=7")).unwrap();
    let on_blog = bob.comment(&external.slug, "A comment under the blog's story.").await;

    // Subscribers, one confirmed, one not yet; an issue sent to them.
    for email in ["sub@example.com", "pending@example.com"] {
        let page = app.client().submit("/newsletter", "/newsletter", &[("email", email), ("next", "/")]).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    }
    app.deliver().await;
    let link = app.smtp.to("sub@example.com").last().and_then(|m| m.link("/newsletter/confirm/")).unwrap();
    let confirm = app.client();
    let page = confirm.get(&path_of(&link)).await;
    assert_eq!(confirm.post_form(&path_of(&link), &[("csrf_token", &page.csrf())]).await.status, StatusCode::OK);
    send_issue(&admin, "The week in the harbour").await;
    app.deliver().await;
    ok(&civil(&db, &["webhook", "add", "https://hooks.example/civil", "--events", "comment.published"], ""));

    let dir = tempfile::tempdir().unwrap();
    let original = export(&db, dir.path(), "original.json", true);
    let plain = export(&db, dir.path(), "plain.json", false);
    let document: Value = serde_json::from_slice(&original).expect("the export is one JSON document");
    assert_eq!(document["format"], "civil-export");
    assert_eq!(document["version"], 1);
    for section in SECTIONS {
        let rows = document[section].as_array().unwrap_or_else(|| panic!("no section {section}"));
        assert!(!rows.is_empty(), "the realistic site has {section}");
    }
    let keys: Vec<&String> = document.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 3 + SECTIONS.len(), "{keys:?}");
    // Without secrets: no hash, token or key; with them, all of it.
    let plain_text = String::from_utf8(plain.clone()).unwrap();
    let secret_text = String::from_utf8(original.clone()).unwrap();
    assert!(secret_text.contains("$argon2id$") && secret_text.contains("form_token_key"));
    assert!(!plain_text.contains("$argon2id$") && !plain_text.contains("form_token_key"), "{plain_text}");
    let webhook = &document["webhooks"][0];
    assert!(!plain_text.contains(webhook["secret"].as_str().unwrap()));
    let sub = document["subscribers"].as_array().unwrap().iter().find(|s| s["email"] == "sub@example.com").unwrap();
    assert_eq!(sub["status"], "confirmed");
    assert!(sub["confirmed_at"].is_string());
    assert!(!plain_text.contains(sub["unsubscribe_token"].as_str().unwrap()));
    let comment = document["comments"].as_array().unwrap().iter().find(|c| c["id"] == first).unwrap();
    assert_eq!(comment["body_raw"], "The budget leaves out the harbour entirely.");
    assert!(comment["edited_at"].is_string());

    // Restored with secrets: the same bytes, and readers sign in as before.
    let restored = migrated(TestDatabase::new());
    let report = restore(&restored, &dir.path().join("original.json"));
    assert!(report.contains("Restored:"), "{report}");
    assert_eq!(export(&restored, dir.path(), "again.json", true), original, "export, import, export: the same bytes");
    let slugs = vec!["budget".to_owned(), external.slug.clone()];
    let before = answers(&app, &slugs, reply).await;
    let restored_app = spawn_on(restored.clone(), |_| {}).await;
    assert_eq!(answers(&restored_app, &slugs, reply).await, before);
    // The endpoint would be sent the reply below; this test has no receiver for it.
    ok(&civil(&restored, &["webhook", "remove", &document["webhooks"][0]["id"].to_string()], ""));
    let mut ada_again = restored_app.client();
    ada_again.sign_in("ada", PASSWORD).await;
    let next = ada_again.reply("budget", first, "Still here after the move.").await;
    assert!(next > on_blog, "new ids continue after the restored ones");

    // Restored without secrets: the same bytes again; readers must set a new password.
    let bare = migrated(TestDatabase::new());
    let report = restore(&bare, &dir.path().join("plain.json"));
    assert!(report.contains("new password"), "{report}");
    assert_eq!(export(&bare, dir.path(), "plain-again.json", false), plain);
    let bare_app = spawn_on(bare.clone(), |_| {}).await;
    assert_eq!(answers(&bare_app, &slugs, reply).await, before);
    let mut anon = bare_app.client();
    anon.fetch_csrf().await;
    let tried = anon.api_post("/api/v1/session", json!({"login": "ada", "password": PASSWORD})).await;
    assert_eq!(tried.status, StatusCode::FORBIDDEN, "{}", tried.body);
    assert!(tried.body.to_string().contains("Forgot your password"), "{}", tried.body);
    anon.submit("/password/forgot", "/password/forgot", &[("email", "ada@example.com")]).await;
    bare_app.deliver().await;
    let link = bare_app.smtp.to("ada@example.com").last().unwrap().link("/password/reset/").expect("reset link");
    let form = anon.get(&path_of(&link)).await;
    let done =
        anon.post_form(&path_of(&link), &[("csrf_token", &form.csrf()), ("password", "a brand new passphrase")]).await;
    assert!(done.status.is_success() || done.status.is_redirection(), "{}", done.text);
    let mut ada_reset = bare_app.client();
    ada_reset.sign_in("ada", "a brand new passphrase").await;

    // Re-importing the Disqus file after a restore adds nothing.
    let again = ok(&civil(&restored, &["import", "disqus", &fixture("isso-disqus.xml")], ""));
    assert!(again.contains("Comments: 0"), "{again}");

    // From PostgreSQL to SQLite: the same file again.
    if db.is_postgres() {
        let sqlite = migrated(TestDatabase::sqlite());
        restore(&sqlite, &dir.path().join("original.json"));
        assert_eq!(export(&sqlite, dir.path(), "on-sqlite.json", true), original, "PostgreSQL to SQLite");
    }
}

#[tokio::test]
async fn a_restore_refuses_a_site_that_is_there_and_files_that_are_not_exports() {
    let source = migrated(TestDatabase::new());
    ok(&civil(&source, &["import", "disqus", &fixture("isso-disqus.xml")], ""));
    let dir = tempfile::tempdir().unwrap();
    let good = export(&source, dir.path(), "site.json", false);
    let good_path = dir.path().join("site.json");

    // Into a database with a site in it: refused, naming what is there.
    let err = refused(&source, &["import", "civil", good_path.to_str().unwrap()], "");
    assert!(err.contains("not empty") && err.contains("users") && err.contains("comments"), "{err}");

    let target = migrated(TestDatabase::new());
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_string_lossy().into_owned()
    };
    let text = String::from_utf8(good.clone()).unwrap();
    let cases = [
        (write("disqus.xml", &std::fs::read(fixture("isso-disqus.xml")).unwrap()), "not JSON"),
        (write("other.json", br#"{"format": "remark42", "version": 1}"#), "not a Civil export"),
        (write("future.json", text.replacen("\"version\":1", "\"version\":9", 1).as_bytes()), "version 9"),
        (write("cut.json", &good[..good.len() * 2 / 3]), "ends too early"),
        (
            write("extra.json", text.replacen("\"username\":", "\"nickname\":\"x\",\"username\":", 1).as_bytes()),
            "nickname",
        ),
        // Sound JSON whose rows clash: the second user takes the first one's id.
        (
            write("clash.json", text.replacen("{\"id\":2,\"username\"", "{\"id\":1,\"username\"", 1).as_bytes()),
            "users (id 1)",
        ),
    ];
    for (path, expected) in &cases {
        let err = refused(&target, &["import", "civil", path], "");
        assert!(err.contains(expected) && err.contains("Nothing was imported"), "{path}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        if *expected != "users (id 1)" {
            assert!(err.contains("line "), "the position is given: {err}");
        }
    }
    // Nothing of the refused files was written: a dry run reports the counts and writes nothing,
    // and the real import (from standard input) then succeeds.
    let dry = ok(&civil(&target, &["import", "civil", "--dry-run", good_path.to_str().unwrap()], ""));
    assert!(dry.contains("Dry run") && dry.contains("comments"), "{dry}");
    let comments: u64 = dry
        .lines()
        .find(|l| l.trim_end().ends_with(" comments"))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(comments, 5, "{dry}");
    let restored = ok(&civil(&target, &["import", "civil", "-"], &text));
    assert!(restored.contains("Restored:"), "{restored}");
    assert_eq!(export(&target, dir.path(), "again.json", false), good);
}
