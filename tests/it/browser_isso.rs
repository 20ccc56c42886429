//! Isso's own published client against Civil, in Chromium: a blog page on another origin (a tiny
//! server here) loads Isso's `embed.min.js` and `count.min.js`, unchanged, from Isso's 0.13.0
//! and 0.14.0 releases, with `data-isso` pointing at Civil's `/isso/`, and the thread is the one
//! `civil import isso` brought across. Isso's files are fetched at test time
//! (`scripts/isso-client`, into `$CIVIL_ISSO_DIR` or `~/.cache/civil-isso`) and never enter the
//! repository; the test is skipped, saying why, when they cannot be had, and without
//! chromedriver, as in `browser`.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use civil::domain::canonical_url::Origin;
use fantoccini::{Client, Locator};
use serde_json::{json, Value};

use crate::browser::browser;
use crate::cli::{civil, ok};
use crate::helpers::*;

const VERSIONS: [&str; 2] = ["0.13.0", "0.14.0"];

/// Isso's client of `version` (`embed.min.js`, `count.min.js`), fetched once into the cache.
fn isso_client(version: &str) -> Option<PathBuf> {
    let root = std::env::var_os("CIVIL_ISSO_DIR").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/tmp".into())).join(".cache/civil-isso")
    });
    let dir = root.join(version);
    let have = |dir: &PathBuf| ["embed.min.js", "count.min.js"].iter().all(|f| dir.join(f).is_file());
    if !have(&dir) {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/isso-client");
        let fetched = std::process::Command::new(script).arg(version).arg(&dir).output();
        if !matches!(&fetched, Ok(out) if out.status.success()) || !have(&dir) {
            let why = match fetched {
                Ok(out) => String::from_utf8_lossy(&out.stderr).into_owned(),
                Err(e) => e.to_string(),
            };
            eprintln!("skipped: Isso {version}'s client could not be fetched (scripts/isso-client needs pip): {why}");
            return None;
        }
    }
    Some(dir)
}

/// The blog: fixed files by path on its own port, as `127.0.0.1` (Civil is another port of the
/// same host: another origin on the same site, where Isso's `SameSite=Lax` cookie works over
/// plain HTTP, as it does for Isso).
fn serve_blog(listener: TcpListener, files: HashMap<String, (&'static str, Vec<u8>)>) {
    let files = Arc::new(files);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let files = files.clone();
            std::thread::spawn(move || {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&request);
                let path = head.split_whitespace().nth(1).unwrap_or("/").split('?').next().unwrap_or("/");
                let (status, kind, body) = match files.get(path) {
                    Some((kind, body)) => ("200 OK", *kind, body.clone()),
                    None => ("404 Not Found", "text/plain", b"not here".to_vec()),
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            });
        }
    });
}

fn blog_page(civil: &str, version: &str, thread: &str) -> Vec<u8> {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>DeepSeek V4</title></head><body>\
         <h1>DeepSeek V4</h1><p><a id=\"count\" href=\"{thread}#isso-thread\" data-isso-id=\"{thread}\">Comments</a></p>\
         <section id=\"isso-thread\" data-isso-id=\"{thread}\" data-title=\"DeepSeek V4\"></section>\
         <script data-isso=\"{civil}/isso/\" data-isso-css=\"false\" src=\"/js/{version}/count.min.js\"></script>\
         <script data-isso=\"{civil}/isso/\" data-isso-css=\"false\" src=\"/js/{version}/embed.min.js\"></script>\
         </body></html>"
    )
    .into_bytes()
}

async fn run(c: &Client, source: &str) -> Value {
    c.execute(source, vec![]).await.unwrap_or_else(|e| panic!("{source}: {e}"))
}

/// Wait until the expression is true.
async fn until(c: &Client, what: &str, source: &str) {
    for _ in 0..150 {
        if c.execute(&format!("return {source}"), vec![]).await.ok() == Some(json!(true)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let page = run(c, "return document.body.innerHTML").await;
    panic!("never happened: {what}\n{page}");
}

/// The `isso-N` element id of the comment whose text has `needle`.
async fn comment_with(c: &Client, needle: &str) -> String {
    let find = format!(
        "return Array.from(document.querySelectorAll('#isso-root .isso-comment'))\
           .filter(e => e.querySelector(':scope > .isso-text-wrapper > .isso-text').textContent.includes({needle:?}))\
           .map(e => e.id)[0] || null"
    );
    until(c, needle, &format!("({}) !== null", find.trim_start_matches("return "))).await;
    run(c, &find).await.as_str().unwrap().to_owned()
}

async fn click(c: &Client, css: &str) {
    c.wait().for_element(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).click().await.unwrap();
}

async fn count_shown(c: &Client) -> i64 {
    until(c, "the count", "/^[0-9]+ /.test(document.getElementById('count').textContent)").await;
    let text = run(c, "return document.getElementById('count').textContent").await;
    text.as_str().unwrap().split(' ').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn isso_s_own_client_0_13_and_0_14_lists_posts_replies_edits_deletes_likes_and_counts_against_civil() {
    let mut clients = Vec::new();
    for version in VERSIONS {
        let Some(dir) = isso_client(version) else { return };
        clients.push((version, dir));
    }
    let Some((c, _driver)) = browser().await else { return };
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let blog = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());

    // The site ran Isso: its database comes across, and the page changes one address.
    let db = Arc::new(TestDatabase::new());
    ok(&civil(&db, &["migrate"], ""));
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import/isso-comments.db");
    ok(&civil(&db, &["import", "isso", "--site", &blog, &fixture.to_string_lossy()], ""));
    let origin = Origin::parse(&blog).unwrap();
    let app = spawn_on(db.clone(), move |s| s.embed_origins = vec![origin]).await;

    let thread = "/2026/01/deepseek-v4/";
    let mut files = HashMap::new();
    for (version, dir) in &clients {
        for file in ["embed.min.js", "count.min.js"] {
            files.insert(format!("/js/{version}/{file}"), ("text/javascript", std::fs::read(dir.join(file)).unwrap()));
        }
        files.insert(
            format!("/{version}/deepseek-v4/"),
            ("text/html; charset=utf-8", blog_page(&app.address, version, thread)),
        );
    }
    serve_blog(listener, files);

    for (round, (version, _)) in clients.iter().enumerate() {
        let page = format!("{blog}/{version}/deepseek-v4/");
        c.goto(&page).await.unwrap();
        // The imported thread, rendered by Isso's client from Civil's HTML.
        let alice = comment_with(&c, "First!").await;
        until(&c, "markdown as HTML", &format!("document.querySelector('#{alice} strong') !== null")).await;
        let grace = comment_with(&c, "Reply to Frank").await;
        assert_ne!(alice, grace);
        let before = count_shown(&c).await;

        // Post as a guest.
        let mine = format!("Posted with Isso {version}, *really*.");
        c.find(Locator::Css("#isso-thread > .isso-postbox .isso-textarea"))
            .await
            .unwrap()
            .send_keys(&mine)
            .await
            .unwrap();
        run(&c, "document.querySelector('#isso-thread > .isso-postbox [name=author]').value = 'Rita'").await;
        click(&c, "#isso-thread > .isso-postbox [type=submit]").await;
        let posted = comment_with(&c, &format!("Posted with Isso {version}")).await;
        until(&c, "emphasis", &format!("document.querySelector('#{posted} em') !== null")).await;

        // Reply to it.
        click(&c, &format!("#{posted} > .isso-text-wrapper > .isso-comment-footer a.isso-reply")).await;
        let reply_box = format!("#{posted} .isso-postbox .isso-textarea");
        c.wait().for_element(Locator::Css(&reply_box)).await.unwrap().send_keys("A reply through Isso.").await.unwrap();
        click(&c, &format!("#{posted} .isso-postbox [type=submit]")).await;
        until(
            &c,
            "the reply",
            &format!("document.querySelector('#{posted} > .isso-follow-up .isso-comment') !== null"),
        )
        .await;
        let reply = comment_with(&c, "A reply through Isso.").await;

        // Edit the comment: Isso's client asks for the markdown, then saves the new text.
        let footer = format!("#{posted} > .isso-text-wrapper > .isso-comment-footer");
        click(&c, &format!("{footer} a.isso-edit")).await;
        let editing = format!("#{posted} > .isso-text-wrapper textarea");
        until(&c, "the markdown to edit", &format!("(document.querySelector('{editing}') || {{}}).value === {mine:?}"))
            .await;
        run(&c, &format!("document.querySelector('{editing}').value = 'Edited with Isso {version}, **boldly**.'"))
            .await;
        click(&c, &format!("{footer} a.isso-edit")).await;
        until(&c, "the edit", &format!("document.querySelector('#{posted} > .isso-text-wrapper > .isso-text strong') !== null && document.querySelector('#{posted} > .isso-text-wrapper > .isso-text').textContent.includes('Edited with Isso')")).await;

        // Delete the reply (asked twice, as Isso's client does): it goes.
        let reply_footer = format!("#{reply} > .isso-text-wrapper > .isso-comment-footer");
        click(&c, &format!("{reply_footer} a.isso-delete")).await;
        click(&c, &format!("{reply_footer} a.isso-delete")).await;
        until(&c, "the reply gone", &format!("document.getElementById('{}') === null", reply)).await;

        // Like a comment (another one each round: a visitor likes a comment once).
        let liked = if round == 0 { &alice } else { &grace };
        let votes = format!("#{liked} > .isso-text-wrapper > .isso-comment-footer .isso-votes");
        let likes_before: i64 =
            run(&c, &format!("return Number(document.querySelector('{votes}').textContent)")).await.as_i64().unwrap();
        click(&c, &format!("#{liked} > .isso-text-wrapper > .isso-comment-footer a.isso-upvote")).await;
        until(
            &c,
            "the like",
            &format!("Number(document.querySelector('{votes}').textContent) === {}", likes_before + 1),
        )
        .await;

        // Again, from the start: the edit and the like were kept, and the count has the new one.
        c.goto(&page).await.unwrap();
        let posted_again = comment_with(&c, &format!("Edited with Isso {version}")).await;
        assert_eq!(posted_again, posted);
        assert_eq!(count_shown(&c).await, before + 1);
        until(
            &c,
            "the like kept",
            &format!("Number(document.querySelector('{votes}').textContent) === {}", likes_before + 1),
        )
        .await;
        assert!(!run(&c, "return document.body.textContent").await.as_str().unwrap().contains("A reply through Isso."));
    }

    // What Isso's client posted is Civil's: on Civil's own page of the thread.
    let threads = civil::services::embeds::threads(&app.app, civil::services::Actor::Operator).await.unwrap();
    let slug =
        threads.iter().find(|t| t.canonical_url.as_deref() == Some(&format!("{blog}{thread}"))).unwrap().slug.clone();
    let civil_thread = app.client().thread(&slug, "").await.body.to_string();
    assert!(civil_thread.contains("Edited with Isso 0.13.0") && civil_thread.contains("Rita"), "{civil_thread}");
}
