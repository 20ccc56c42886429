//! Tests generated from the route table (`civil::http::routes::endpoints`): a route added to the
//! table is covered without anyone writing a test for it.

use civil::domain::role::Role;
use civil::http::routes::{endpoints, Access, Endpoint, Proof, API_PREFIX};
use reqwest::{Method, StatusCode};

use crate::helpers::{spawn, Client, TestApp};

/// Values for the path's parameters that name things that exist.
struct Things {
    comment_id: i64,
}

impl Things {
    async fn make(app: &TestApp) -> Things {
        app.article("budget").await;
        let author = app.reader("author").await;
        Things { comment_id: author.comment("budget", "Something to act on.").await }
    }

    fn fill(&self, path: &str) -> String {
        path.replace("{slug}", "budget")
            .replace("{id}", &self.comment_id.to_string())
            .replace("{username}", "author")
            .replace("{token}", "not-a-real-token")
            .replace("{name}", "civil.css")
            .replace("{action}", "approve")
    }
}

/// What the route answered, and whether the answer had the shape its scope promises: JSON with
/// an error code under the API, an HTML page elsewhere.
async fn send(client: &Client, endpoint: &Endpoint, things: &Things, with_token: bool) -> (StatusCode, bool) {
    let path = things.fill(&endpoint.path);
    let method = Method::from_bytes(endpoint.method.as_str().as_bytes()).unwrap();
    let mut request = client.http.request(method, client.url(&path));
    if let (true, Some(token)) = (with_token, &client.csrf) {
        request = request.header("X-CSRF-Token", token);
    }
    // Isso's API answers in JSON too, and its client sends JSON.
    let api = path.starts_with(API_PREFIX) || path.starts_with("/isso/");
    if endpoint.method != "GET" {
        request = if api {
            request.header("content-type", "application/json").body("{}")
        } else {
            request.header("content-type", "application/x-www-form-urlencoded").body("")
        };
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let body = response.text().await.unwrap();
    let shaped = if api {
        content_type.starts_with("application/json")
            && serde_json::from_str::<serde_json::Value>(&body).is_ok_and(|v| v["error"]["code"].is_string())
    } else {
        content_type.starts_with("text/html") && body.contains("<html")
    };
    (status, shaped)
}

/// The status `who` must get from a route it may not use, or `None` where it may.
fn refusal(access: Access, who: Option<Role>) -> Option<StatusCode> {
    let needed = match access {
        Access::Anyone => return None,
        Access::SignedIn => Role::Reader,
        Access::Role(role) => role,
    };
    match who {
        None => Some(StatusCode::UNAUTHORIZED),
        Some(role) if role < needed => Some(StatusCode::FORBIDDEN),
        Some(_) => None,
    }
}

#[tokio::test]
async fn every_route_that_needs_an_account_or_a_role_turns_away_everyone_else() {
    let app = spawn().await;
    let things = Things::make(&app).await;
    let mut anonymous = app.client();
    anonymous.fetch_csrf().await;
    let reader = app.reader("ada").await;
    let moderator = app.signed_in("mira", Role::Moderator).await;
    let mut checked = 0;
    for endpoint in endpoints() {
        for (who, client) in [(None, &anonymous), (Some(Role::Reader), &reader), (Some(Role::Moderator), &moderator)] {
            let Some(expected) = refusal(endpoint.access, who) else { continue };
            let (status, shaped) = send(client, &endpoint, &things, true).await;
            let as_whom = who.map_or("anonymous".to_owned(), |r| r.to_string());
            assert_eq!(status, expected, "{} {} as {as_whom}", endpoint.method, endpoint.path);
            assert!(
                shaped,
                "{} {} as {as_whom}: the refusal is not in its scope's shape",
                endpoint.method, endpoint.path
            );
            checked += 1;
        }
    }
    assert!(checked > 60, "only {checked} refusals checked: is the route table empty?");
    // Nothing was changed on the way: the comment is still up, unmoderated.
    let thread = anonymous.thread("budget", "").await;
    assert_eq!(thread.body["comments"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn every_state_changing_route_refuses_a_request_without_a_csrf_token() {
    let app = spawn().await;
    let things = Things::make(&app).await;
    // An admin may use every route, so only the missing token stands in the way.
    let admin = app.signed_in("chief", Role::Admin).await;
    let mut checked = 0;
    for endpoint in endpoints().into_iter().filter(|e| e.proof == Proof::CsrfToken) {
        let (status, shaped) = send(&admin, &endpoint, &things, false).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{} {} without a CSRF token", endpoint.method, endpoint.path);
        assert!(shaped, "{} {}: the refusal is not in its scope's shape", endpoint.method, endpoint.path);
        checked += 1;
    }
    assert!(checked > 40, "only {checked} routes checked");
    // The admin is still signed in (sign-out refused too), and nothing was posted or moderated.
    assert_eq!(admin.api_get("/api/v1/session").await.body["user"]["username"], "chief");
    let thread = admin.thread("budget", "").await;
    assert_eq!(thread.body["comments"].as_array().unwrap().len(), 1);
}

/// Isso's client cannot send Civil's token: its writes are proved by coming, as JSON, from a
/// page on an allowed embed origin. Every such route refuses a request from no page, from a page
/// elsewhere, and a form (which a page elsewhere could send without CORS) from the allowed one.
#[tokio::test]
async fn every_isso_write_refuses_a_request_not_sent_as_json_from_an_allowed_page() {
    let site = "https://blog.example";
    let app = crate::helpers::spawn_with(|s| {
        s.embed_origins = vec![civil::domain::canonical_url::Origin::parse(site).unwrap()]
    })
    .await;
    let things = Things::make(&app).await;
    let http = reqwest::Client::new();
    let mut checked = 0;
    for endpoint in endpoints().into_iter().filter(|e| e.proof == Proof::EmbedOrigin) {
        let path = format!("{}?uri=/2026/story/", things.fill(&endpoint.path));
        let method = Method::from_bytes(endpoint.method.as_str().as_bytes()).unwrap();
        let json = r#"{"text": "A forged comment.", "author": "Mallory"}"#;
        for (origin, content_type) in
            [(None, "application/json"), (Some("https://evil.example"), "application/json"), (Some(site), "text/plain")]
        {
            let mut request = http
                .request(method.clone(), format!("{}{path}", app.address))
                .header("content-type", content_type)
                .body(json);
            if let Some(origin) = origin {
                request = request.header("origin", origin);
            }
            let response = request.send().await.unwrap();
            let what = format!("{} {} from {origin:?} as {content_type}", endpoint.method, endpoint.path);
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{what}");
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            assert!(body["error"]["code"].is_string(), "{what}: the refusal is not JSON: {body}");
            checked += 1;
        }
    }
    assert_eq!(checked, 5 * 3, "the five writes of Isso's API");
    // Nothing was posted, no thread started, and the comment is unchanged and unliked.
    assert!(civil::services::embeds::threads(&app.app, civil::services::Actor::Operator).await.unwrap().is_empty());
    let thread = app.client().thread("budget", "").await;
    assert_eq!(thread.body["comments"].as_array().unwrap().len(), 1);
    assert_eq!(thread.body["comments"][0]["score"], 0);
}
