//! The gaps in and around the embed's frame: signing out in it, refused posts coming back to
//! it, moderating in it, which pages it (and nothing else) may frame, who may start a thread,
//! and single sign-on's limits. (`browser_embed` drives the frame in Chromium.)

use civil::domain::canonical_url::Origin;
use civil::domain::role::Role;
use civil::http::routes::{endpoints, Framing};
use reqwest::header::{HeaderMap, CONTENT_SECURITY_POLICY, X_FRAME_OPTIONS};
use reqwest::{Method, StatusCode};

use crate::helpers::*;

const SITE: &str = "https://news.example.com";
const STORY: &str = "https://news.example.com/2026/ai-story";

async fn spawn_embedding() -> TestApp {
    spawn_with(|s| s.embed_origins = vec![Origin::parse(SITE).unwrap()]).await
}

fn csp(headers: &HeaderMap) -> String {
    headers.get(CONTENT_SECURITY_POLICY).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// Every route, asked for from inside a frame (as the browser marks it): only the rows of the
/// frame's flow let the allowed site frame the answer; every other page, the admin area and
/// the moderation queue included, may not be framed at all. Unsafe routes go without a CSRF
/// token, so nothing changes, and their refusal must follow the same rule.
#[tokio::test]
async fn only_the_frames_own_pages_may_be_framed_whatever_the_route_table_grows_into() {
    let app = spawn_embedding().await;
    app.article("budget").await;
    let author = app.reader("author").await;
    let comment = author.comment("budget", "Something to frame.").await;
    let admin = app.signed_in("chief", Role::Admin).await;
    let fill = |path: &str| {
        path.replace("{slug}", "budget")
            .replace("{id}", &comment.to_string())
            .replace("{username}", "author")
            .replace("{token}", "not-a-real-token")
            .replace("{name}", "civil.css")
            .replace("{action}", "approve")
    };
    let mut framable = 0;
    let mut checked = 0;
    for endpoint in endpoints() {
        let path = fill(&endpoint.path);
        let method = Method::from_bytes(endpoint.method.as_str().as_bytes()).unwrap();
        let mut request = admin.http.request(method, admin.url(&path)).header("Sec-Fetch-Dest", "iframe");
        if endpoint.method != "GET" {
            request = request.header("content-type", "application/x-www-form-urlencoded").body("");
        }
        let response = request.send().await.unwrap();
        let what = format!("{} {} ({})", endpoint.method, endpoint.path, response.status());
        let policy = csp(response.headers());
        let x_frame = response.headers().get(X_FRAME_OPTIONS).map(|v| v.to_str().unwrap().to_owned());
        match endpoint.framing {
            Framing::InEmbed => {
                assert!(policy.ends_with(&format!("frame-ancestors 'self' {SITE}")), "{what}: {policy}");
                assert_eq!(x_frame, None, "{what}");
                framable += 1;
            }
            Framing::Never => {
                assert!(policy.ends_with("frame-ancestors 'none'"), "{what}: {policy}");
                assert_eq!(x_frame.as_deref(), Some("DENY"), "{what}");
            }
        }
        checked += 1;
    }
    assert!(checked > 100 && framable > 10, "{checked} routes, {framable} framable");
    // A page no row names is not framable either.
    let missing = admin.http.get(admin.url("/no/such/page")).header("Sec-Fetch-Dest", "iframe").send().await.unwrap();
    assert!(csp(missing.headers()).ends_with("frame-ancestors 'none'"));
    // The frame's own pages, asked for outside a frame, are not framable either.
    let sign_in = app.client().get("/signin").await;
    assert!(csp(&sign_in.headers).ends_with("frame-ancestors 'none'"));
    assert_eq!(sign_in.headers.get(X_FRAME_OPTIONS).unwrap(), "DENY");
    let _ = STORY;
}
