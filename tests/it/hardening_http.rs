//! Hostile bytes and security headers, over HTTP, on whichever database the tests run on.

use civil::domain::role::Role;
use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    Reader,
    Moderator,
    Admin,
}

enum Send {
    Get(String),
    /// A form post; the sender's CSRF token is added.
    Form(String, Vec<(&'static str, String)>),
    Json(Method, String, Value),
    /// A form body sent under another content type; the sender's CSRF token is added.
    PlainText(String, Vec<(&'static str, String)>),
}

struct Probe {
    who: Who,
    what: &'static str,
    send: Send,
}

fn get(who: Who, what: &'static str, path: String) -> Probe {
    Probe { who, what, send: Send::Get(path) }
}

fn form(who: Who, what: &'static str, path: String, fields: Vec<(&'static str, String)>) -> Probe {
    Probe { who, what, send: Send::Form(path, fields) }
}

fn api(who: Who, what: &'static str, method: Method, path: String, body: Value) -> Probe {
    Probe { who, what, send: Send::Json(method, path, body) }
}

/// Every kind of place a reader, moderator or admin can put text, with `bad` in it.
fn probes(bad: &str, ids: &Fixture) -> Vec<Probe> {
    use Who::*;
    let enc = urlencoding::encode(bad).into_owned();
    let s = |text: &str| text.to_owned();
    let Fixture { own_comment, other_comment, article_id, ada_id } = *ids;
    vec![
        // Signed out: signing in, registering, subscribing, and any address.
        form(Anonymous, "sign-in login", s("/signin"), vec![("login", bad.into()), ("password", s(PASSWORD))]),
        api(
            Anonymous,
            "API sign-in login",
            Method::POST,
            s("/api/v1/session"),
            json!({"login": bad, "password": PASSWORD}),
        ),
        form(
            Anonymous,
            "register display name",
            s("/register"),
            vec![
                ("username", s("newbie")),
                ("email", s("newbie@example.com")),
                ("password", s(PASSWORD)),
                ("display_name", bad.into()),
            ],
        ),
        api(
            Anonymous,
            "API register username",
            Method::POST,
            s("/api/v1/accounts"),
            json!({"username": bad, "email": "newbie@example.com", "password": PASSWORD}),
        ),
        form(Anonymous, "newsletter address", s("/newsletter"), vec![("email", format!("sub{bad}@example.com"))]),
        form(
            Anonymous,
            "password reset address",
            s("/password/forgot"),
            vec![("email", format!("ada{bad}@example.com"))],
        ),
        api(
            Anonymous,
            "API comment signed out",
            Method::POST,
            s("/api/v1/articles/budget/comments"),
            json!({"body": bad}),
        ),
        get(Anonymous, "article slug in the path", format!("/articles/{enc}")),
        get(Anonymous, "username in the path", format!("/users/{enc}")),
        get(Anonymous, "token in the path", format!("/newsletter/confirm/{enc}")),
        get(Anonymous, "API article slug in the path", format!("/api/v1/articles/{enc}")),
        get(Anonymous, "API thread slug in the path", format!("/api/v1/articles/{enc}/comments")),
        get(Anonymous, "sort in the query", format!("/articles/budget?sort={enc}")),
        get(Anonymous, "after in the query", format!("/articles/budget?after={enc}")),
        get(Anonymous, "next in the query", format!("/signin?next=/{enc}")),
        get(Anonymous, "API after in the query", format!("/api/v1/articles/budget/comments?after={enc}")),
        get(Anonymous, "API sort in the query", format!("/api/v1/articles/budget/comments?sort={enc}")),
        // Signed in as a reader.
        form(Reader, "comment body", s("/articles/budget/comments"), vec![("body", format!("Hello {bad} there"))]),
        api(
            Reader,
            "API comment body",
            Method::POST,
            s("/api/v1/articles/budget/comments"),
            json!({"body": format!("Hi {bad}")}),
        ),
        form(Reader, "comment edit", format!("/comments/{own_comment}/edit"), vec![("body", format!("Edited {bad}"))]),
        api(Reader, "API comment edit", Method::PATCH, format!("/api/v1/comments/{own_comment}"), json!({"body": bad})),
        form(
            Reader,
            "flag note",
            format!("/comments/{other_comment}/flag"),
            vec![("reason", s("other")), ("note", bad.into())],
        ),
        api(
            Reader,
            "API flag note",
            Method::POST,
            format!("/api/v1/comments/{other_comment}/flags"),
            json!({"reason": "other", "note": bad}),
        ),
        get(Reader, "article slug in the path, signed in", format!("/articles/{enc}")),
        get(Reader, "sort in the query, signed in", format!("/articles/budget?sort={enc}")),
        // Moderators.
        form(
            Moderator,
            "removal note",
            format!("/moderation/comments/{other_comment}/remove"),
            vec![("reason", s("other")), ("note", bad.into())],
        ),
        form(
            Moderator,
            "bulk removal note",
            s("/moderation/bulk"),
            vec![
                ("ids", other_comment.to_string()),
                ("action", s("remove")),
                ("reason", s("spam")),
                ("note", bad.into()),
            ],
        ),
        Probe {
            who: Moderator,
            what: "bulk removal note sent as plain text",
            send: Send::PlainText(
                s("/moderation/bulk"),
                vec![
                    ("ids", other_comment.to_string()),
                    ("action", s("remove")),
                    ("reason", s("spam")),
                    ("note", bad.into()),
                ],
            ),
        },
        api(
            Moderator,
            "API removal reason",
            Method::POST,
            format!("/api/v1/moderation/comments/{other_comment}/remove"),
            json!({"reason": bad}),
        ),
        form(
            Moderator,
            "suspension reason",
            format!("/moderation/users/{ada_id}/suspend"),
            vec![("reason", bad.into()), ("days", s("1"))],
        ),
        api(
            Moderator,
            "API suspension reason",
            Method::POST,
            format!("/api/v1/moderation/users/{ada_id}/suspend"),
            json!({"reason": bad, "days": 1}),
        ),
        form(Moderator, "article slug in a moderation path", format!("/moderation/articles/{enc}/close"), vec![]),
        get(Moderator, "actor in the log query", format!("/moderation/log?actor={enc}")),
        get(Moderator, "tab in the queue query", format!("/moderation?tab={enc}")),
        get(Moderator, "API after in the queue query", format!("/api/v1/moderation/queue?after={enc}")),
        // Admins.
        form(
            Admin,
            "article title",
            s("/admin/articles"),
            vec![
                ("slug", s("fresh")),
                ("title", bad.into()),
                ("summary", s("S")),
                ("body", s("B")),
                ("author_name", s("Jo")),
            ],
        ),
        form(
            Admin,
            "article author on edit",
            format!("/admin/articles/{article_id}"),
            vec![
                ("slug", s("budget")),
                ("title", s("Budget")),
                ("summary", s("S")),
                ("body", s("B")),
                ("author_name", bad.into()),
                ("comments_open", s("on")),
            ],
        ),
        api(
            Admin,
            "API article body",
            Method::POST,
            s("/api/v1/articles"),
            json!({"slug": "fresh", "title": "T", "summary": "S", "body": bad, "author_name": "Jo", "published": true, "comments_open": true}),
        ),
        form(
            Admin,
            "newsletter subject",
            s("/admin/newsletter/issues"),
            vec![("subject", bad.into()), ("body", s("Text"))],
        ),
        get(Admin, "user search query", format!("/admin/users?q={enc}")),
        get(Admin, "subscriber search query", format!("/admin/newsletter?q={enc}")),
    ]
}

#[derive(Clone, Copy)]
struct Fixture {
    own_comment: i64,
    other_comment: i64,
    article_id: i64,
    ada_id: i64,
}

/// What the probes could have changed, to show they changed nothing.
#[derive(Debug, PartialEq)]
struct Stored {
    counts: Vec<(&'static str, i64)>,
    comments: Vec<(i64, String, String)>,
    articles: Vec<(String, String, String, String)>,
    suspended: Vec<(String, bool)>,
}

fn stored(app: &TestApp) -> Stored {
    use civil::store::schema::*;
    let mut conn = app.app.pool.get().unwrap();
    let counts = vec![
        ("users", users::table.count().get_result(&mut conn).unwrap()),
        ("articles", articles::table.count().get_result(&mut conn).unwrap()),
        ("comments", comments::table.count().get_result(&mut conn).unwrap()),
        ("comment_flags", comment_flags::table.count().get_result(&mut conn).unwrap()),
        ("moderation_log", moderation_log::table.count().get_result(&mut conn).unwrap()),
        ("subscribers", subscribers::table.count().get_result(&mut conn).unwrap()),
        ("newsletter_issues", newsletter_issues::table.count().get_result(&mut conn).unwrap()),
        ("outbox", outbox::table.count().get_result(&mut conn).unwrap()),
        ("email_tokens", email_tokens::table.count().get_result(&mut conn).unwrap()),
    ];
    Stored {
        counts,
        comments: comments::table
            .select((comments::id, comments::body_raw, comments::status))
            .order(comments::id)
            .load(&mut conn)
            .unwrap(),
        articles: articles::table
            .select((articles::slug, articles::title, articles::body_md, articles::author_name))
            .order(articles::id)
            .load(&mut conn)
            .unwrap(),
        suspended: users::table
            .select((users::username, users::suspended_until.is_not_null()))
            .order(users::id)
            .load(&mut conn)
            .unwrap(),
    }
}

async fn send(client: &Client, probe: &Probe) -> (StatusCode, String, String) {
    let request = match &probe.send {
        Send::Get(path) => client.http.get(client.url(path)),
        Send::Form(path, fields) => {
            let mut fields = fields.clone();
            fields.push(("csrf_token", client.csrf.clone().expect("the client has a CSRF token")));
            client.http.post(client.url(path)).form(&fields)
        }
        Send::PlainText(path, fields) => {
            let mut fields = fields.clone();
            fields.push(("csrf_token", client.csrf.clone().expect("the client has a CSRF token")));
            let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
            client.http.post(client.url(path)).header("content-type", "text/plain").body(body)
        }
        Send::Json(method, path, body) => client
            .http
            .request(method.clone(), client.url(path))
            .header("X-CSRF-Token", client.csrf.clone().expect("the client has a CSRF token"))
            .json(body),
    };
    let response = request.send().await.expect("request");
    let status = response.status();
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (status, content_type, response.text().await.unwrap())
}

#[tokio::test]
async fn control_characters_are_refused_everywhere_with_a_clear_400_and_nothing_is_stored() {
    let app = spawn().await;
    app.article("budget").await;
    let mut anonymous = app.client();
    anonymous.fetch_csrf().await;
    let reader = app.reader("ada").await;
    let bea = app.reader("bea").await;
    let moderator = app.signed_in("mod1", Role::Moderator).await;
    let admin = app.signed_in("admin1", Role::Admin).await;
    let fixture = Fixture {
        own_comment: reader.comment("budget", "My own words.").await,
        other_comment: bea.comment("budget", "Bea's words.").await,
        article_id: admin.api_get("/api/v1/articles/budget").await.body["id"].as_i64().unwrap(),
        ada_id: civil::services::accounts::find_by_username(&app.app, "ada").await.unwrap().id,
    };
    let before = stored(&app);

    let mut failures = Vec::new();
    let mut sent = 0;
    for bad in ["a\0b", "a\u{1}b", "a\u{1b}[31mb", "a\u{7f}b"] {
        for probe in probes(bad, &fixture) {
            let client = match probe.who {
                Who::Anonymous => &anonymous,
                Who::Reader => &reader,
                Who::Moderator => &moderator,
                Who::Admin => &admin,
            };
            let (status, content_type, text) = send(client, &probe).await;
            sent += 1;
            let path = match &probe.send {
                Send::Get(p) | Send::Form(p, _) | Send::PlainText(p, _) | Send::Json(_, p, _) => p.clone(),
            };
            let shaped = if path.starts_with("/api/") {
                serde_json::from_str::<Value>(&text).is_ok_and(|body| {
                    body["error"]["code"] == "bad_request"
                        && body["error"]["message"].as_str().is_some_and(|m| m.contains("control character"))
                })
            } else {
                content_type.starts_with("text/html") && text.contains("control character")
            };
            if status != StatusCode::BAD_REQUEST || !shaped {
                failures.push(format!(
                    "{:?} {} {bad:?}: {status} {}",
                    probe.who,
                    probe.what,
                    text.chars().take(160).collect::<String>()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {sent} requests were not refused clearly:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(stored(&app), before, "a refused request changed nothing");
}

#[tokio::test]
async fn tabs_and_line_breaks_still_reach_a_comment() {
    let app = spawn().await;
    app.article("budget").await;
    let reader = app.reader("ada").await;
    reader.comment("budget", "First line\r\nSecond line\twith a tab").await;
    let thread = reader.thread("budget", "").await;
    assert!(thread.body["comments"][0]["body_html"].as_str().unwrap().contains("Second line"));
}

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'";

fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|v| v.to_str().unwrap())
}

fn assert_security_headers(what: &str, headers: &reqwest::header::HeaderMap) {
    assert_eq!(header(headers, "content-security-policy"), Some(CSP), "{what}");
    assert_eq!(header(headers, "x-content-type-options"), Some("nosniff"), "{what}");
    assert_eq!(header(headers, "referrer-policy"), Some("same-origin"), "{what}");
    assert_eq!(header(headers, "x-frame-options"), Some("DENY"), "{what}");
}

#[tokio::test]
async fn every_response_carries_the_security_headers_errors_included() {
    let app = spawn().await;
    app.article("budget").await;
    app.create_user("ada", Role::Reader).await;
    let mut client = app.client();
    client.fetch_csrf().await;

    let page = client.get("/articles/budget").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_security_headers("a page", &page.headers);
    let json = client.api_get("/api/v1/articles").await;
    assert_eq!(json.status, StatusCode::OK);
    assert_security_headers("API JSON", &json.headers);
    let missing = client.get("/no/such/page").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_security_headers("a 404 page", &missing.headers);
    let missing = client.api_get("/api/v1/nothing-here").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_security_headers("an API 404", &missing.headers);
    let refused = client.get("/articles/a%00b").await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_security_headers("a 400 page", &refused.headers);
    let bad_json = client.api_post("/api/v1/session", json!({"login": 5})).await;
    assert_eq!(bad_json.status, StatusCode::BAD_REQUEST);
    assert_security_headers("an API 400", &bad_json.headers);
    let wrong_type = client
        .http
        .post(client.url("/api/v1/session"))
        .header("X-CSRF-Token", client.csrf.clone().unwrap())
        .header("content-type", "text/plain")
        .body("login=ada")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_security_headers("a 415", wrong_type.headers());
    let token = client.csrf.clone().unwrap();
    let redirect =
        client.post_form("/signin", &[("csrf_token", &token), ("login", "ada"), ("password", PASSWORD)]).await;
    assert_eq!(redirect.status, StatusCode::SEE_OTHER);
    assert_security_headers("a redirect", &redirect.headers);
    assert_eq!(header(&redirect.headers, "cache-control"), Some("no-store"), "it sets the session cookie");
    assert_eq!(header(&page.headers, "strict-transport-security"), None, "no HSTS over plain http");
}

#[tokio::test]
async fn hsts_is_sent_only_behind_https() {
    let app = spawn_with(|s| s.base_url = "https://comments.example-news.com".into()).await;
    let page = app.client().get("/").await;
    assert_eq!(header(&page.headers, "strict-transport-security"), Some("max-age=31536000"));
    assert_security_headers("behind https", &page.headers);
    let missing = app.client().api_get("/api/v1/nothing-here").await;
    assert_eq!(header(&missing.headers, "strict-transport-security"), Some("max-age=31536000"));
}

#[tokio::test]
async fn responses_that_depend_on_the_session_are_not_stored() {
    let app = spawn().await;
    app.article("budget").await;
    let anonymous = app.client();
    let session = anonymous.api_get("/api/v1/session").await;
    assert_eq!(header(&session.headers, "cache-control"), Some("no-store"), "the session JSON carries the CSRF token");
    let list = anonymous.api_get("/api/v1/articles").await;
    assert_eq!(header(&list.headers, "cache-control"), None, "anonymous JSON keeps its caching");

    let reader = app.reader("ada").await;
    for path in ["/api/v1/articles", "/api/v1/articles/budget/comments", "/api/v1/session", "/api/v1/nothing-here"] {
        let response = reader.api_get(path).await;
        assert_eq!(header(&response.headers, "cache-control"), Some("no-store"), "{path} signed in");
    }
    for path in ["/", "/articles/budget", "/no/such/page"] {
        let response = reader.get(path).await;
        assert_eq!(header(&response.headers, "cache-control"), Some("no-store"), "{path} signed in");
    }
    let asset = reader.get(&civil::assets::url("civil.css")).await;
    assert_eq!(
        header(&asset.headers, "cache-control"),
        Some("public, max-age=31536000, immutable"),
        "assets are the same for everyone"
    );
    assert_security_headers("an asset", &asset.headers);
}

/// The edge refuses control characters; should a NUL reach PostgreSQL anyway, the refusal is
/// still the sender's fault (4xx), never a 500.
#[tokio::test]
async fn a_nul_that_reaches_the_database_is_not_a_server_error() {
    let app = spawn().await;
    let error = civil::services::accounts::find_by_username(&app.app, "a\0b").await.unwrap_err();
    assert!(error.status().is_client_error(), "{error:?}");
}

/// What the Content-Security-Policy would refuse in a page: inline script, inline style, and
/// event-handler attributes.
fn inline_script_or_style(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut found = Vec::new();
    for (at, _) in lower.match_indices("<script") {
        let tag = &lower[at..at + lower[at..].find('>').unwrap_or(0)];
        if !tag.contains(" src=") {
            found.push(format!("inline script at {at}"));
        }
    }
    found.extend(lower.match_indices("<style").map(|(at, _)| format!("<style> at {at}")));
    found.extend(lower.match_indices(" style=").map(|(at, _)| format!("style attribute at {at}")));
    for (at, _) in lower.match_indices(" on") {
        let name: String = lower[at + 3..].chars().take_while(char::is_ascii_lowercase).collect();
        if !name.is_empty() && lower[at + 3 + name.len()..].starts_with('=') {
            found.push(format!("on{name} handler at {at}"));
        }
    }
    found
}

#[tokio::test]
async fn no_page_has_inline_script_or_style() {
    let app = spawn().await;
    app.article("budget").await;
    let ada = app.reader("ada").await;
    let comment = ada.comment("budget", "A comment with a [link](https://example.com).").await;
    let admin = app.signed_in("boss", Role::Admin).await;
    let issue = admin
        .submit("/admin/newsletter/issues/new", "/admin/newsletter/issues", &[("subject", "Weekly"), ("body", "News.")])
        .await;
    assert_eq!(issue.status, StatusCode::SEE_OTHER);
    let issue_page = issue.location().to_owned();
    let article_id = admin.api_get("/api/v1/articles/budget").await.body["id"].as_i64().unwrap();
    let mut pages = vec![
        "/".to_owned(),
        "/articles/budget".into(),
        "/users/ada".into(),
        "/newsletter".into(),
        "/moderation".into(),
        "/moderation/log".into(),
        "/admin".into(),
        "/admin/articles/new".into(),
        format!("/admin/articles/{article_id}/edit"),
        "/admin/users".into(),
        "/admin/settings".into(),
        "/admin/newsletter".into(),
        "/admin/newsletter/issues/new".into(),
        issue_page,
        "/no/such/page".into(),
    ];
    for page in &pages {
        let response = admin.get(page).await;
        assert!(response.status.is_success() || page == "/no/such/page", "{page}: {}", response.status);
        assert_eq!(inline_script_or_style(&response.text), Vec::<String>::new(), "{page}");
    }
    pages = vec![format!("/comments/{comment}/edit"), "/articles/budget".into()];
    for page in &pages {
        assert_eq!(inline_script_or_style(&ada.get(page).await.text), Vec::<String>::new(), "{page} as its author");
    }
    for page in ["/signin", "/register", "/password/forgot", "/articles/budget"] {
        assert_eq!(
            inline_script_or_style(&app.client().get(page).await.text),
            Vec::<String>::new(),
            "{page} signed out"
        );
    }
}

#[test]
fn the_inline_check_finds_what_the_policy_refuses() {
    assert_eq!(
        inline_script_or_style(r#"<script src="/assets/civil.js" defer></script><p class="x">on=1</p>"#).len(),
        0
    );
    assert_eq!(inline_script_or_style(r#"<script>alert(1)</script>"#).len(), 1);
    assert_eq!(inline_script_or_style(r#"<p style="color:red">"#).len(), 1);
    assert_eq!(inline_script_or_style(r#"<button onclick="go()">"#).len(), 1);
    assert_eq!(inline_script_or_style(r#"<style>p{}</style>"#).len(), 1);
}

/// A Chrome DevTools command through chromedriver. Used to run a script in every new document
/// before the page's own, so that no Content-Security-Policy violation goes unseen, even one
/// raised while the page is parsed.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base_url: &url::Url, session_id: Option<&str>) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/goog/cdp/execute", session_id.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (Method, Option<String>) {
        (Method::POST, Some(json!({"cmd": self.cmd, "params": self.params}).to_string()))
    }
}

const RECORD_VIOLATIONS: &str = "window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber);
});";

/// The violations this page reported so far (after letting queued events run), or a failure
/// if the recorder did not run, which would make an empty list meaningless.
async fn csp_violations(c: &fantoccini::Client, what: &str) -> Vec<String> {
    let script = "var done = arguments[arguments.length - 1];
        requestAnimationFrame(function () { setTimeout(function () { done(window.__cspViolations || null); }, 0); });";
    let found = c.execute_async(script, vec![]).await.unwrap();
    let list = found.as_array().unwrap_or_else(|| panic!("{what}: the violation recorder did not run"));
    list.iter().map(|v| v.as_str().unwrap().to_owned()).collect()
}

async fn js_count(c: &fantoccini::Client, css: &str) -> u64 {
    let script = "return document.querySelectorAll(arguments[0]).length;";
    c.execute(script, vec![json!(css)]).await.unwrap().as_u64().unwrap()
}

#[tokio::test]
async fn pages_run_under_the_enforced_policy_without_a_violation_and_their_script_works() {
    use crate::browser::{browser, click, fill};
    use fantoccini::Locator;

    let Some((c, _driver)) = browser().await else { return };
    let app = spawn().await;
    app.article("budget").await;
    let ada = app.reader("ada").await;
    ada.comment("budget", "Published, to reply to.").await;
    app.site_settings(|s| s.policy.premoderation = civil::domain::moderation::Premoderation::Everyone).await;
    let held = ada.try_comment("budget", "Held for the queue.", None).await;
    assert_eq!(held.body["status"], "pending");
    app.create_user("boss", Role::Admin).await;
    c.issue_cmd(Cdp { cmd: "Page.addScriptToEvaluateOnNewDocument", params: json!({"source": RECORD_VIOLATIONS}) })
        .await
        .expect("chromedriver runs DevTools commands");

    c.goto(&format!("{}/signin", app.address)).await.unwrap();
    fill(&c, "#login", "boss").await;
    fill(&c, "#password", PASSWORD).await;
    click(&c, "section.auth button[type=submit]").await;
    c.wait().for_element(Locator::Css("a[href='/admin']")).await.unwrap();
    assert_eq!(csp_violations(&c, "sign-in").await, Vec::<String>::new(), "after signing in");

    // The article: the script opens a reply form in place.
    c.goto(&format!("{}/articles/budget", app.address)).await.unwrap();
    click(&c, "ol.thread article.comment a.reply").await;
    c.wait().for_element(Locator::Css("form[id^='reply-'] textarea")).await.unwrap();
    assert_eq!(js_count(&c, "time[datetime]:not([data-absolute])").await, 0, "times are made relative");
    assert_eq!(csp_violations(&c, "article").await, Vec::<String>::new(), "the article page");

    // The moderation queue: the keyboard moves between items.
    c.goto(&format!("{}/moderation", app.address)).await.unwrap();
    c.wait().for_element(Locator::Css("article.queue-item")).await.unwrap();
    c.find(Locator::Css("body")).await.unwrap().send_keys("j").await.unwrap();
    c.wait().for_element(Locator::Css("article.queue-item.current")).await.unwrap();
    assert_eq!(csp_violations(&c, "queue").await, Vec::<String>::new(), "the moderation queue");

    // The admin pages, the newsletter preview with its e-mail HTML among them.
    let mut admin = app.client();
    admin.sign_in("boss", PASSWORD).await;
    let issue = admin
        .submit("/admin/newsletter/issues/new", "/admin/newsletter/issues", &[("subject", "Weekly"), ("body", "News.")])
        .await;
    let issue_page = issue.location().to_owned();
    for page in ["/admin", "/admin/articles/new", "/admin/users", "/admin/settings", "/admin/newsletter", &issue_page] {
        c.goto(&format!("{}{page}", app.address)).await.unwrap();
        c.wait().for_element(Locator::Css("main#main")).await.unwrap();
        assert_eq!(js_count(&c, "time[datetime]:not([data-absolute])").await, 0, "{page}: the script ran");
        assert_eq!(csp_violations(&c, page).await, Vec::<String>::new(), "{page}");
    }
    assert!(js_count(&c, ".email-preview hr + p").await > 0, "the preview shows the e-mail's footer");

    // The policy is enforced and the recorder hears it: an inline style set by script is refused.
    c.execute("document.body.setAttribute('style', 'background: red');", vec![]).await.unwrap();
    let refused = csp_violations(&c, "the check").await;
    assert!(refused.iter().any(|v| v.starts_with("style-src")), "{refused:?}");
    c.close().await.unwrap();
}

#[tokio::test]
async fn a_rate_limited_answer_carries_the_security_headers_too() {
    let app = spawn_with(|s| s.rate_limits = true).await;
    app.article("budget").await;
    let ada = app.reader("ada").await;
    assert_eq!(ada.try_comment("budget", "one", None).await.status, StatusCode::CREATED);
    let json = ada.try_comment("budget", "two", None).await;
    assert_eq!(json.status, StatusCode::TOO_MANY_REQUESTS);
    assert_security_headers("an API 429", &json.headers);
    assert_eq!(header(&json.headers, "cache-control"), Some("no-store"), "signed in");
    let page = ada.submit("/articles/budget", "/articles/budget/comments", &[("body", "three")]).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert_security_headers("a 429 page", &page.headers);
}
