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
    let api = path.starts_with(API_PREFIX);
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
