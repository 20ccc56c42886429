//! The embed in a real browser, in the deployment that is hardest for it: the publisher's page
//! on one site (`http://localhost:PORT`, a tiny static server here) and Civil on another
//! (`http://127.0.0.1:PORT`), with third-party cookies blocked, as Safari and Firefox do by
//! default. Skipped without chromedriver outside CI, as in `browser`.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use fantoccini::{Client, Locator};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use crate::browser::{browser_with, click, fill, text_of, Driver};
use crate::helpers::*;
use civil::domain::canonical_url::Origin;
use civil::services::embeds;
use civil::services::Actor;

/// A publisher's site: fixed pages by path, on its own port, reached as `localhost`.
struct HostSite {
    port: u16,
}

impl HostSite {
    /// Binds first, so that the address is known before the pages that name Civil are written.
    fn bind() -> (HostSite, TcpListener) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        (HostSite { port: listener.local_addr().unwrap().port() }, listener)
    }

    fn origin(&self) -> String {
        format!("http://localhost:{}", self.port)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin())
    }

    /// Serve `pages` (path to HTML) until the test ends; anything else is a 404.
    fn serve(listener: TcpListener, pages: HashMap<String, String>) {
        let pages = Arc::new(pages);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let pages = pages.clone();
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
                    let (status, body) = match pages.get(path) {
                        Some(html) => ("200 OK", html.clone()),
                        None => ("404 Not Found", "not here".to_owned()),
                    };
                    let response = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(response.as_bytes());
                });
            }
        });
    }
}

fn article_page(civil: &str, url: &str, extra: &str) -> String {
    format!(
        "<!doctype html><html><head><title>Budget vote</title></head><body style=\"--civil-accent: rgb(200, 0, 0)\">\
         <h1>Budget vote</h1><p>The article.</p>\
         <div id=\"civil-thread\" data-civil-url=\"{url}\" {extra}></div>\
         <script src=\"{civil}/assets/embed.js\" async></script></body></html>"
    )
}

/// Chromium with third-party cookies blocked (the setting under Privacy and security).
async fn blocking_browser() -> Option<(Client, Driver)> {
    browser_with(json!({"profile.cookie_controls_mode": 1, "profile.block_third_party_cookies": true})).await
}

async fn enter_embed(c: &Client) {
    c.wait().for_element(Locator::Css("#civil-thread iframe")).await.unwrap();
    c.enter_frame(0).await.unwrap();
    c.wait().for_element(Locator::Css("#discussion-heading")).await.unwrap();
}

async fn script(c: &Client, source: &str) -> serde_json::Value {
    c.execute(source, vec![]).await.unwrap_or_else(|e| panic!("{source}: {e}"))
}

/// Wait until `check` holds in the current frame (a page load in the frame, a script's work).
async fn until(c: &Client, source: &str) {
    for _ in 0..100 {
        if c.execute(source, vec![]).await.ok() == Some(json!(true)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never true: {source}");
}

async fn external_threads(app: &TestApp) -> Vec<civil::services::articles::Article> {
    embeds::threads(&app.app, Actor::Operator).await.unwrap()
}

#[tokio::test]
async fn a_reader_on_another_site_registers_posts_and_replies_in_the_embed_with_third_party_cookies_blocked() {
    let Some((c, _driver)) = blocking_browser().await else { return };
    let (host, listener) = HostSite::bind();
    let origin = host.origin();
    let app = spawn_with(|s| s.embed_origins = vec![Origin::parse(&origin).unwrap()]).await;
    let story = host.url("/2026/budget");
    let list = format!(
        "<!doctype html><html><body><ul><li><a href=\"/2026/budget\">Budget vote</a> \
         <span data-civil-count=\"{story}\">comments</span></li></ul>\
         <script src=\"{}/assets/count.js\" async></script></body></html>",
        app.address
    );
    HostSite::serve(
        listener,
        HashMap::from([("/2026/budget".to_owned(), article_page(&app.address, &story, "")), ("/".to_owned(), list)]),
    );

    c.goto(&story).await.unwrap();
    enter_embed(&c).await;
    assert_eq!(text_of(&c, "#discussion-heading").await, "Discussion (0)");
    // The proof that this browser blocks third-party cookies: inside the frame (Civil on a
    // site other than the page's), an ordinary cookie is refused and a partitioned one kept.
    let blocked = script(
        &c,
        "document.cookie = 'probe=1; Path=/; SameSite=None; Secure'; \
         document.cookie = 'chip=1; Path=/; SameSite=None; Secure; Partitioned'; return document.cookie;",
    )
    .await;
    let cookies = blocked.as_str().unwrap();
    assert!(!cookies.contains("probe=1"), "third-party cookies are blocked: {cookies}");
    assert!(cookies.contains("chip=1"), "partitioned cookies are kept: {cookies}");
    // The host's look came through (an accent colour set on the host page's container).
    let accent =
        script(&c, "return getComputedStyle(document.documentElement).getPropertyValue('--accent').trim();").await;
    assert_eq!(accent, json!("rgb(200, 0, 0)"));
    let threads = external_threads(&app).await;
    assert_eq!(threads.len(), 1, "the first view started the thread");
    assert_eq!(threads[0].title, "Budget vote", "titled from the page");

    // Registering inside the frame comes back to the frame, signed in.
    click(&c, ".signin-prompt a[href^='/register']").await;
    fill(&c, "#username", "ada").await;
    fill(&c, "#email", "ada@example.com").await;
    fill(&c, "#password", PASSWORD).await;
    click(&c, "section.auth button[type=submit]").await;
    until(
        &c,
        "return location.pathname === '/embed/frame' && document.body.getAttribute('data-signed-in') === 'true';",
    )
    .await;

    fill(&c, "#comment-form-body", "Posted from the publisher's page.").await;
    click(&c, "#comment-form button[type=submit]").await;
    until(&c, "return !!document.querySelector('ol.thread article.comment .body');").await;
    assert_eq!(text_of(&c, "ol.thread article.comment .body").await, "Posted from the publisher's page.");
    assert_eq!(text_of(&c, "#discussion-heading").await, "Discussion (1)");
    assert_eq!(script(&c, "return location.pathname;").await, json!("/embed/frame"), "the result shows in the frame");

    click(&c, "ol.thread article.comment a.reply").await;
    let reply_box = c.wait().for_element(Locator::Css("form[id^='reply-'] textarea")).await.unwrap();
    reply_box.send_keys("A reply, in the frame.").await.unwrap();
    click(&c, "form[id^='reply-'] button[type=submit]").await;
    until(&c, "return !!document.querySelector('ol.replies article.comment .body');").await;
    assert_eq!(text_of(&c, "ol.replies article.comment .body").await, "A reply, in the frame.");
    assert_eq!(text_of(&c, "#discussion-heading").await, "Discussion (2)");

    // The frame is as tall as its content: no scroll bar inside it.
    c.enter_parent_frame().await.unwrap();
    until(
        &c,
        "var f = document.querySelector('#civil-thread iframe'); \
         return f.getBoundingClientRect().height > 300;",
    )
    .await;
    c.enter_frame(0).await.unwrap();
    let fits = script(&c, "return document.documentElement.scrollHeight <= window.innerHeight + 1;").await;
    assert_eq!(fits, json!(true), "the frame shows all of its content");
    c.enter_parent_frame().await.unwrap();
    let shot = c.screenshot().await.unwrap();
    std::fs::write(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-embed.png"), shot).unwrap();

    // The article list on the publisher's site shows the new count.
    c.goto(&host.url("/")).await.unwrap();
    until(&c, "return document.querySelector('[data-civil-count]').textContent === '2 comments';").await;
    c.close().await.unwrap();
}

#[tokio::test]
async fn a_link_to_a_comment_on_the_host_page_scrolls_to_it_in_the_embed() {
    let Some((c, _driver)) = blocking_browser().await else { return };
    let (host, listener) = HostSite::bind();
    let origin = host.origin();
    let app = spawn_with(|s| s.embed_origins = vec![Origin::parse(&origin).unwrap()]).await;
    let story = host.url("/2026/long");
    // A long article above the discussion, and a long footer below it.
    let page = article_page(&app.address, &story, "")
        .replace("<p>The article.</p>", "<p style=\"height: 3000px\">The article.</p>")
        .replace("</div><script", "</div><footer style=\"height: 2000px\">The footer</footer><script");
    HostSite::serve(listener, HashMap::from([("/2026/long".to_owned(), page)]));
    // A long thread, started by the embed's own first view.
    let thread = app.client().get(&format!("/embed/thread?url={}", urlencoding::encode(&story))).await;
    assert_eq!(thread.status, reqwest::StatusCode::OK);
    let slug = external_threads(&app).await[0].slug.clone();
    let words = ["budget", "river", "school", "bridge", "council", "harbour", "library", "tram", "market", "park"];
    let mut ids = Vec::new();
    for n in 0..words.len() {
        // Different readers and words: repeated text would be held for review.
        let reader = app.reader(&format!("reader{n}")).await;
        let text = format!(
            "What about the {}? {} matters more than the {} here.",
            words[n],
            words[(n + 3) % 10],
            words[(n + 7) % 10]
        );
        ids.push(reader.comment(&slug, &text).await);
    }
    let last = ids[8];

    c.goto(&format!("{story}#comment-{last}")).await.unwrap();
    until(&c, "return window.scrollY > 3200;").await;
    let frame_top =
        script(&c, "return document.querySelector('#civil-thread iframe').getBoundingClientRect().top;").await;
    c.enter_frame(0).await.unwrap();
    let in_frame =
        script(&c, &format!("return document.getElementById('comment-{last}').getBoundingClientRect().top;")).await;
    let on_screen = frame_top.as_f64().unwrap() + in_frame.as_f64().unwrap();
    assert!((0.0..200.0).contains(&on_screen), "the comment is at the top of the window: {on_screen}");
    c.close().await.unwrap();
}

fn sso_token(secret: &str, claims: &serde_json::Value) -> String {
    let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
    let header = json!({"alg": "HS256", "typ": "JWT"});
    let input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(input.as_bytes());
    format!("{input}.{}", b64(&mac.finalize().into_bytes()))
}

#[tokio::test]
async fn a_reader_signed_in_on_the_publishers_site_posts_without_a_password() {
    let Some((c, _driver)) = blocking_browser().await else { return };
    const SECRET: &str = "the publisher's secret, 32 characters or more";
    let (host, listener) = HostSite::bind();
    let origin = host.origin();
    let app = spawn_with(|s| {
        s.embed_origins = vec![Origin::parse(&origin).unwrap()];
        s.sso_secret = Some(civil::domain::sso::SsoSecret::parse(SECRET).unwrap());
    })
    .await;
    let now = app.app.clock.now().and_utc().timestamp();
    let token = sso_token(
        SECRET,
        &json!({"sub": "reader-7", "email": "grace@publisher.example", "username": "grace", "name": "Grace H.",
                "iat": now, "exp": now + 300}),
    );
    let story = host.url("/2026/sso");
    let page = article_page(&app.address, &story, &format!("data-civil-sso=\"{token}\""));
    HostSite::serve(listener, HashMap::from([("/2026/sso".to_owned(), page)]));

    c.goto(&story).await.unwrap();
    enter_embed(&c).await;
    until(&c, "return document.body.getAttribute('data-signed-in') === 'true';").await;
    assert!(text_of(&c, ".embed-account").await.contains("Grace H."));
    fill(&c, "#comment-form-body", "Signed in by my newspaper.").await;
    click(&c, "#comment-form button[type=submit]").await;
    until(&c, "return !!document.querySelector('ol.thread article.comment .body');").await;
    assert_eq!(text_of(&c, "ol.thread article.comment .author").await, "Grace H.");
    let slug = external_threads(&app).await[0].slug.clone();
    let thread = app.client().thread(&slug, "").await;
    assert_eq!(thread.body["comments"][0]["author"]["username"], "grace", "{}", thread.body);
    c.close().await.unwrap();
}

#[tokio::test]
async fn a_page_on_a_site_that_may_not_embed_gets_nothing() {
    let Some((c, _driver)) = blocking_browser().await else { return };
    let (allowed, _unused) = HostSite::bind();
    let (other, listener) = HostSite::bind();
    let allowed_origin = allowed.origin();
    let app = spawn_with(|s| s.embed_origins = vec![Origin::parse(&allowed_origin).unwrap()]).await;
    // Its own address, and one on the allowed site (whose thread it must not start either).
    HostSite::serve(
        listener,
        HashMap::from([
            ("/own".to_owned(), article_page(&app.address, &other.url("/own"), "")),
            ("/borrowed".to_owned(), article_page(&app.address, &allowed.url("/2026/not-yet-discussed"), "")),
        ]),
    );

    for page in ["/own", "/borrowed"] {
        c.goto(&other.url(page)).await.unwrap();
        assert_eq!(text_of(&c, "#civil-thread .civil-note").await, "The discussion could not be loaded.", "{page}");
        c.enter_frame(0).await.unwrap();
        let shown = script(&c, "return !!document.querySelector('#discussion-heading');").await;
        assert_eq!(shown, json!(false), "the browser refused to show Civil there");
        c.enter_parent_frame().await.unwrap();
        assert!(external_threads(&app).await.is_empty(), "no thread was started from {page}");
    }
    c.close().await.unwrap();
}

/// A moderator signs in inside the frame on another site, with third-party cookies blocked, and
/// approves a held comment, removes another and closes the discussion, staying in the frame.
#[tokio::test]
async fn a_moderator_moderates_inline_in_the_embed_with_third_party_cookies_blocked() {
    let Some((c, _driver)) = blocking_browser().await else { return };
    let (host, listener) = HostSite::bind();
    let origin = host.origin();
    let app = spawn_with(|s| s.embed_origins = vec![Origin::parse(&origin).unwrap()]).await;
    let story = host.url("/2026/moderated");
    HostSite::serve(listener, HashMap::from([("/2026/moderated".to_owned(), article_page(&app.address, &story, ""))]));
    // The thread, started as the publisher's server would, and two comments: one held.
    let started = app.client().get(&format!("/embed/thread?url={}", urlencoding::encode(&story))).await;
    assert_eq!(started.status, reqwest::StatusCode::OK);
    let slug = external_threads(&app).await[0].slug.clone();
    let ada = app.reader("ada").await;
    let spam = ada.comment(&slug, "Buy cheap watches at my shop.").await;
    app.site_settings(|s| s.policy.premoderation = civil::domain::moderation::Premoderation::Everyone).await;
    let held = ada.try_comment(&slug, "Held until a moderator says yes.", None).await;
    let held = held.body["id"].as_i64().unwrap();
    app.create_user("mira", civil::domain::role::Role::Moderator).await;

    c.goto(&story).await.unwrap();
    enter_embed(&c).await;
    click(&c, ".signin-prompt a[href^='/signin']").await;
    fill(&c, "#login", "mira").await;
    fill(&c, "#password", PASSWORD).await;
    click(&c, "section.auth button[type=submit]").await;
    until(
        &c,
        "return location.pathname === '/embed/frame' && document.body.getAttribute('data-signed-in') === 'true';",
    )
    .await;

    click(&c, &format!("#comment-{held} form.approve button")).await;
    until(&c, &format!("var c = document.getElementById('comment-{held}'); return !!c && !c.querySelector('.pending-label') && location.pathname === '/embed/frame';")).await;
    assert_eq!(app.client().thread(&slug, "").await.body["total"], 2, "approved");

    click(&c, &format!("#comment-{spam} details.remove-inline summary")).await;
    click(&c, &format!("#comment-{spam} details.remove-inline button[type=submit]")).await;
    until(&c, &format!("return !document.getElementById('comment-{spam}') && location.pathname === '/embed/frame';"))
        .await;
    assert_eq!(app.client().thread(&slug, "").await.body["total"], 1, "removed");

    // Closing asks first (`data-confirm`); the moderator says yes. (A real dialog would hold
    // the WebDriver click until its page-load timeout.)
    script(&c, "window.confirm = function () { return true; }; return true;").await;
    click(&c, ".staff-tools button[type=submit]").await;
    until(&c, "return !!document.querySelector('p.closed') && location.pathname === '/embed/frame';").await;
    assert_eq!(text_of(&c, "p.closed").await, "The discussion on this article is closed.");
    c.close().await.unwrap();
}
