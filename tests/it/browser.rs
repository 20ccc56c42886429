//! The reader's path in a real browser: headless Chromium driven through chromedriver.
//! CI installs both; elsewhere the test is skipped when chromedriver is missing.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::helpers::*;

pub(crate) struct Driver {
    process: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn chromedriver() -> Option<&'static str> {
    ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"].into_iter().find(|p| std::path::Path::new(p).exists())
}

pub(crate) async fn browser() -> Option<(Client, Driver)> {
    browser_with(json!({})).await
}

/// A browser whose profile has these preferences (`goog:chromeOptions.prefs`).
pub(crate) async fn browser_with(prefs: serde_json::Value) -> Option<(Client, Driver)> {
    let Some(path) = chromedriver() else {
        assert!(std::env::var_os("CI").is_none(), "CI must install chromium and chromium-driver");
        eprintln!("skipped: chromedriver is not installed (apt-get install chromium chromium-driver)");
        return None;
    };
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let process =
        Command::new(path).arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let profile = tempfile::tempdir().unwrap();
    let driver = Driver { process, port, _profile: profile };
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({"args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--window-size=1280,1600",
            format!("--user-data-dir={}", driver._profile.path().display()),
        ], "prefs": prefs}),
    );
    for _ in 0..100 {
        let connected = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities.clone())
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await;
        if let Ok(client) = connected {
            return Some((client, driver));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start");
}

pub(crate) async fn fill(c: &Client, css: &str, text: &str) {
    let field = c.wait().for_element(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

pub(crate) async fn click(c: &Client, css: &str) {
    c.wait().for_element(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).click().await.unwrap();
}

/// The text of `css`. A script may replace the element between finding it and reading it (the
/// preview re-renders as the reader types): then it is found again.
pub(crate) async fn text_of(c: &Client, css: &str) -> String {
    for _ in 0..20 {
        let element = c.wait().for_element(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
        match element.text().await {
            Ok(text) => return text,
            Err(fantoccini::error::CmdError::Standard(e))
                if e.error == fantoccini::error::ErrorStatus::StaleElementReference =>
            {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(e) => panic!("{css}: {e}"),
        }
    }
    panic!("{css} kept being replaced")
}

#[tokio::test]
async fn a_reader_registers_comments_and_replies_inline_in_a_browser() {
    let Some((c, _driver)) = browser().await else { return };
    let app = spawn().await;
    app.article("budget").await;
    let article_url = format!("{}/articles/budget", app.address);

    c.goto(&article_url).await.unwrap();
    assert!(text_of(&c, "#discussion-heading").await.contains("Discussion (0)"));
    assert!(c.source().await.unwrap().contains("Be the first to comment."));
    click(&c, ".signin-prompt a[href^='/register']").await;
    fill(&c, "#username", "ada").await;
    fill(&c, "#email", "ada@example.com").await;
    fill(&c, "#password", PASSWORD).await;
    click(&c, "section.auth button[type=submit]").await;
    c.wait().for_url(&url::Url::parse(&format!("{article_url}#comment-form")).unwrap()).await.unwrap();

    fill(&c, "#comment-form-body", "Written in a *real* browser.").await;
    click(&c, "#comment-form button[type=submit]").await;
    let first = text_of(&c, "ol.thread article.comment .body").await;
    assert_eq!(first, "Written in a real browser.");
    assert_eq!(text_of(&c, "#discussion-heading").await, "Discussion (1)");

    // Reply opens inline, without leaving the page.
    let before = c.current_url().await.unwrap();
    click(&c, "ol.thread article.comment a.reply").await;
    let reply_box = c.wait().for_element(Locator::Css("form[id^='reply-'] textarea")).await.unwrap();
    assert_eq!(c.current_url().await.unwrap(), before, "the reply form opened in place");
    reply_box.send_keys("And a reply, inline.").await.unwrap();
    click(&c, "form[id^='reply-'] button[type=submit]").await;
    let reply = text_of(&c, "ol.replies article.comment .body").await;
    assert_eq!(reply, "And a reply, inline.");
    assert_eq!(text_of(&c, "#discussion-heading").await, "Discussion (2)");

    let shot = c.screenshot().await.unwrap();
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    std::fs::write(dir.join("browser-thread.png"), shot).unwrap();
    c.close().await.unwrap();
}

#[tokio::test]
async fn a_moderator_approves_from_the_keyboard_without_leaving_the_queue() {
    let Some((c, _driver)) = browser().await else { return };
    let app = spawn().await;
    app.article("budget").await;
    app.site_settings(|s| s.policy.premoderation = civil::domain::moderation::Premoderation::Everyone).await;
    let ada = app.reader("ada").await;
    let held = ada.try_comment("budget", "Please approve me from the keyboard.", None).await;
    assert_eq!(held.body["status"], "pending");
    app.create_user("mod1", civil::domain::role::Role::Moderator).await;

    c.goto(&format!("{}/signin", app.address)).await.unwrap();
    fill(&c, "#login", "mod1").await;
    fill(&c, "#password", PASSWORD).await;
    click(&c, "section.auth button[type=submit]").await;
    c.goto(&format!("{}/moderation", app.address)).await.unwrap();
    let item = c.wait().for_element(Locator::Css("article.queue-item")).await.unwrap();
    assert!(item.text().await.unwrap().contains("Please approve me from the keyboard."));
    let before = c.current_url().await.unwrap();
    let body = c.find(Locator::Css("body")).await.unwrap();
    body.send_keys("j").await.unwrap();
    body.send_keys("a").await.unwrap();
    // The item goes away inline; the comment is published; the page did not reload.
    for _ in 0..50 {
        if app.client().thread("budget", "").await.body["total"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.client().thread("budget", "").await.body["total"], 1, "approved through the inline action");
    assert_eq!(c.current_url().await.unwrap(), before);
    c.close().await.unwrap();
}

/// A Chrome DevTools command through chromedriver, for what WebDriver cannot do: emulated
/// media and viewports, full-page screenshots.
pub(crate) async fn cdp(c: &Client, driver: &Driver, cmd: &str, params: serde_json::Value) -> serde_json::Value {
    let session = c.session_id().await.unwrap().expect("a WebDriver session");
    let url = format!("http://127.0.0.1:{}/session/{session}/goog/cdp/execute", driver.port);
    let answer: serde_json::Value = reqwest::Client::new()
        .post(url)
        .json(&json!({"cmd": cmd, "params": params}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(answer["value"].get("error").is_none(), "{cmd}: {answer}");
    answer["value"].clone()
}
