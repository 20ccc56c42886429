//! The embed's frame over HTTP: who may frame it, the cookies of a reader inside it, and the
//! way back into it after a form. (`browser_embed` drives the same in Chromium.)

use civil::domain::canonical_url::Origin;
use reqwest::header::{HeaderMap, CONTENT_SECURITY_POLICY, LOCATION, SET_COOKIE, X_FRAME_OPTIONS};
use reqwest::StatusCode;

use crate::helpers::*;

const STORY: &str = "https://news.example.com/2026/ai-story";

async fn spawn_embedding() -> TestApp {
    spawn_with(|s| s.embed_origins = vec![Origin::parse("https://news.example.com").unwrap()]).await
}

fn frame_path(url: &str) -> String {
    format!("/embed/frame?url={}&title=AI%20story", urlencoding::encode(url))
}

fn plain_client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn csp(headers: &HeaderMap) -> String {
    headers.get(CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap().to_owned()
}

fn set_cookies(headers: &HeaderMap) -> Vec<String> {
    headers.get_all(SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn only_civil_and_the_allowed_sites_may_frame_the_discussion() {
    let app = spawn_embedding().await;
    let frame = app.client().get(&frame_path(STORY)).await;
    assert_eq!(frame.status, StatusCode::OK);
    frame.assert_contains("Discussion (0)");
    frame.assert_contains(&format!(r#"src="{}""#, civil::assets::url("embed-frame.js")));
    frame.assert_contains("Join the Conversation");
    frame.assert_lacks(r#"class="site""#);
    let policy = csp(&frame.headers);
    assert!(policy.ends_with("frame-ancestors 'self' https://news.example.com"), "{policy}");
    assert!(frame.headers.get(X_FRAME_OPTIONS).is_none(), "nothing contradicts the policy");

    // A site that may not embed gets a refusal that no site may frame but the allowed ones.
    let refused = app.client().get(&frame_path("https://evil.example/a")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(csp(&refused.headers).ends_with("frame-ancestors 'self' https://news.example.com"));

    // Civil's own pages may not be framed, and admin pages not even inside the frame.
    let home = app.client().get("/").await;
    assert!(csp(&home.headers).ends_with("frame-ancestors 'none'"));
    assert_eq!(home.headers.get(X_FRAME_OPTIONS).unwrap(), "DENY");
    let admin = plain_client().get(format!("{}/admin", app.address)).header("Sec-Fetch-Dest", "iframe").send().await;
    assert!(csp(admin.unwrap().headers()).ends_with("frame-ancestors 'none'"));
}

#[tokio::test]
async fn a_reader_signing_in_inside_the_frame_gets_partitioned_twins_of_the_lax_cookies() {
    let app = spawn_embedding().await;
    app.create_user("ada", civil::domain::role::Role::Reader).await;
    let http = plain_client();
    let frame = http.get(app.client().url(&frame_path(STORY))).header("Sec-Fetch-Dest", "iframe").send().await.unwrap();
    let cookies = set_cookies(frame.headers());
    assert!(cookies.iter().any(|c| c.starts_with("civil_csrf=") && c.contains("SameSite=Lax")), "{cookies:?}");
    let twin = cookies.iter().find(|c| c.starts_with("civil_frame_csrf=")).expect("the frame's CSRF cookie");
    for attribute in ["HttpOnly", "Secure", "SameSite=None", "Partitioned", "Path=/"] {
        assert!(twin.contains(attribute), "{twin}");
    }
    let csrf = twin.split(';').next().unwrap().trim_start_matches("civil_frame_csrf=").to_owned();

    // Only the frame's cookie comes back (the browser withholds the other in a frame on
    // another site), and it is enough to sign in.
    let signed_in = http
        .post(app.client().url("/signin?next=/articles/ai-story%23comment-form"))
        .header("Sec-Fetch-Dest", "iframe")
        .header("Cookie", format!("civil_frame_csrf={csrf}"))
        .form(&[("csrf_token", csrf.as_str()), ("login", "ada"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let cookies = set_cookies(signed_in.headers());
    let lax = cookies.iter().find(|c| c.starts_with("civil_session=")).expect("the first-party cookie");
    assert!(lax.contains("SameSite=Lax") && !lax.contains("Partitioned"), "first-party cookies stay Lax: {lax}");
    let session = cookies.iter().find(|c| c.starts_with("civil_frame_session=")).expect("the frame's session cookie");
    assert!(session.contains("Partitioned") && session.contains("Max-Age="), "{session}");
    let token = session.split(';').next().unwrap().to_owned();

    // Back in the frame (the thread's page sends a framed request there), signed in.
    let thread = http
        .get(app.client().url("/articles/ai-story"))
        .header("Sec-Fetch-Dest", "iframe")
        .header("Cookie", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(thread.status(), StatusCode::SEE_OTHER);
    let back = thread.headers().get(LOCATION).unwrap().to_str().unwrap().to_owned();
    assert_eq!(back, format!("/embed/frame?url={}", urlencoding::encode(STORY)));
    let frame = http.get(app.client().url(&back)).header("Cookie", &token).send().await.unwrap();
    let html = frame.text().await.unwrap();
    assert!(html.contains("Signed in as") && html.contains(r#"id="comment-form""#), "{html}");

    // Opened as a page (the `<noscript>` link), the frame is Civil's page for the thread.
    let page = http.get(app.client().url(&back)).header("Sec-Fetch-Dest", "document").send().await.unwrap();
    assert_eq!(page.headers().get(LOCATION).unwrap(), "/articles/ai-story");

    // Outside a frame the thread's page is Civil's own, and first-party requests get no twins.
    let page = http.get(app.client().url("/articles/ai-story")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(set_cookies(page.headers()).iter().all(|c| !c.contains("frame")));
}

/// Found on the way: the frame showed only the first page of a large thread, since the way back
/// into it dropped the page (and the reply and flag marks).
#[tokio::test]
async fn the_frame_pages_through_a_large_thread() {
    let app = spawn_embedding().await;
    assert_eq!(app.client().get(&frame_path(STORY)).await.status, StatusCode::OK);
    let ada = app.reader("ada").await;
    for i in 0..55 {
        ada.comment("ai-story", &format!("Comment number {i}.")).await;
    }
    let first = app.client().get(&frame_path(STORY)).await;
    first.assert_contains("Discussion (55)");
    first.assert_lacks("Comment number 54.");
    let marker = "href=\"/articles/ai-story?sort=oldest&amp;after=";
    let start = first.text.find(marker).expect("a link to the next page") + "href=\"".len();
    let next = first.text[start..].split('"').next().unwrap().replace("&amp;", "&");
    let http = plain_client();
    let framed = http.get(app.client().url(&next)).header("Sec-Fetch-Dest", "iframe").send().await.unwrap();
    assert_eq!(framed.status(), StatusCode::SEE_OTHER);
    let back = framed.headers().get(LOCATION).unwrap().to_str().unwrap().to_owned();
    assert!(back.starts_with("/embed/frame?url=") && back.contains("&after="), "{back}");
    let second = app.client().get(back.split('#').next().unwrap()).await;
    second.assert_contains("Comment number 54.");
    second.assert_lacks("Comment number 0.");
}
