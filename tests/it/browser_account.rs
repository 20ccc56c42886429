//! The account page in Chromium: a reader changes their display name and password, downloads
//! their data and deletes the account, in one browser session.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::browser::{browser_with, click, fill, text_of};
use crate::helpers::*;

/// The first `.json` file Chromium finished writing to `dir`. Downloads end in their own time:
/// wait for the file, not for a fixed delay.
async fn downloaded_json(dir: &std::path::Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let done = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|x| x == "json"));
        if let Some(path) = done {
            return std::fs::read_to_string(path).unwrap();
        }
        assert!(Instant::now() < deadline, "the download did not arrive in {}", dir.display());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Type into a field and press Enter, which submits its form as a reader would. (Clicking a
/// button far down the page can land while the page still scrolls smoothly to it.)
async fn fill_and_submit(c: &fantoccini::Client, css: &str, text: &str) {
    fill(c, css, text).await;
    let field = c.find(fantoccini::Locator::Css(css)).await.unwrap();
    field.send_keys("\u{E007}").await.unwrap();
}

#[tokio::test]
async fn a_reader_renames_changes_the_password_downloads_the_data_and_deletes_the_account() {
    let downloads = tempfile::tempdir().unwrap();
    let prefs = json!({
        "download.default_directory": downloads.path().to_str().unwrap(),
        "download.prompt_for_download": false,
    });
    let Some((c, _driver)) = browser_with(prefs).await else { return };
    let app = spawn().await;
    app.article("budget").await;
    app.create_user("ada", civil::domain::role::Role::Reader).await;
    let mut bob = app.client();
    bob.sign_in("ada", PASSWORD).await;

    c.goto(&format!("{}/signin?next=%2Faccount", app.address)).await.unwrap();
    fill(&c, "#login", "ada").await;
    fill(&c, "#password", PASSWORD).await;
    click(&c, "section.auth button[type=submit]").await;
    let account = url::Url::parse(&format!("{}/account", app.address)).unwrap();
    c.wait().for_url(&account).await.unwrap();
    assert_eq!(text_of(&c, "h1").await, "Your account");

    // The display name.
    fill_and_submit(&c, "#display_name", "Ada Lovelace").await;
    assert_eq!(text_of(&c, "p.notice").await, "Your display name is saved.");
    assert_eq!(text_of(&c, "header.site nav a[href='/account']").await, "Ada Lovelace");

    // The password: a wrong current one is refused beside the form; the right one signs the
    // other session out.
    fill(&c, "#password-current", "not my password").await;
    fill_and_submit(&c, "#new_password", "a brand new passphrase").await;
    assert_eq!(text_of(&c, "#password-current-error").await, "That is not your current password.");
    fill(&c, "#password-current", PASSWORD).await;
    fill_and_submit(&c, "#new_password", "a brand new passphrase").await;
    assert_eq!(text_of(&c, "p.notice").await, "Your password is changed. You are signed out everywhere else.");
    assert!(bob.api_get("/api/v1/session").await.body["user"].is_null(), "the other session ended");

    // The data, as a file.
    // From the keyboard, like the forms above: the page may still be scrolling to the password
    // section the last form came back to, and a click would land where the link was.
    let link = c.find(fantoccini::Locator::Css("#data a[href='/account/export']")).await.unwrap();
    link.send_keys("\u{E007}").await.unwrap();
    let data: serde_json::Value = serde_json::from_str(&downloaded_json(downloads.path()).await).unwrap();
    assert_eq!(data["profile"]["username"], "ada");
    assert_eq!(data["profile"]["display_name"], "Ada Lovelace");
    assert_eq!(data["sessions"].as_array().unwrap().len(), 1);

    // Deleting, confirmed with the new password.
    fill_and_submit(&c, "#delete-password", "a brand new passphrase").await;
    c.wait().for_url(&url::Url::parse(&format!("{}/account/deleted", app.address)).unwrap()).await.unwrap();
    assert_eq!(text_of(&c, "h1").await, "Your account is deleted");
    let nav = text_of(&c, "header.site nav").await;
    assert!(nav.contains("Sign in"), "signed out: {nav}");
    c.goto(&format!("{}/users/ada", app.address)).await.unwrap();
    assert!(c.source().await.unwrap().contains("was not found"));
    c.goto(&format!("{}/account", app.address)).await.unwrap();
    assert_ne!(text_of(&c, "h1").await, "Your account");
    c.close().await.unwrap();
}
