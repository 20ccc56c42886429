//! Fast to load: compression by `Accept-Encoding`, whole anonymous responses cached (and kept
//! in step with the database), content-hashed assets, no cookie on signed-out pages (and the
//! signed form token that replaces it), HEAD wherever GET works, and the weight budgets.

use civil::domain::role::Role;
use civil::http::routes::endpoints;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};

use crate::helpers::{spawn, spawn_on, spawn_with, Client, TestApp};

struct Response {
    status: StatusCode,
    headers: HeaderMap,
    bytes: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// The body as the client reads it, decoded from whatever `Content-Encoding` says.
    fn text(&self) -> String {
        let decoded = match self.header("content-encoding") {
            "br" => {
                let mut out = Vec::new();
                brotli::BrotliDecompress(&mut &self.bytes[..], &mut out).expect("valid brotli");
                out
            }
            "gzip" => {
                let mut out = Vec::new();
                std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&self.bytes[..]), &mut out)
                    .expect("valid gzip");
                out
            }
            "" => self.bytes.clone(),
            other => panic!("unexpected encoding {other}"),
        };
        String::from_utf8(decoded).unwrap()
    }

    fn varies_by(&self, name: &str) -> bool {
        self.headers
            .get_all("vary")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(',').any(|n| n.trim().eq_ignore_ascii_case(name)))
    }
}

async fn fetch(client: &Client, method: Method, path: &str, headers: &[(&str, &str)]) -> Response {
    let mut request = client.http.request(method, client.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap().to_vec();
    Response { status, headers, bytes }
}

async fn get(client: &Client, path: &str, headers: &[(&str, &str)]) -> Response {
    fetch(client, Method::GET, path, headers).await
}

/// The `/assets/…` addresses a page links.
fn linked_assets(html: &str) -> Vec<String> {
    html.match_indices("\"/assets/").map(|(at, _)| html[at + 1..].split('"').next().unwrap().to_owned()).collect()
}

const EMBEDDER: &str = "https://news.example.com";

async fn spawn_embedding() -> TestApp {
    spawn_with(|s| s.embed_origins = vec![civil::domain::canonical_url::Origin::parse(EMBEDDER).unwrap()]).await
}

#[tokio::test]
async fn pages_and_assets_are_compressed_as_the_client_prefers() {
    let app = spawn().await;
    app.article("budget").await;
    let anon = app.client();
    for path in ["/", "/articles/budget", "/signin", "/api/v1/articles/budget/comments"] {
        let plain = get(&anon, path, &[]).await;
        assert_eq!(plain.status, StatusCode::OK, "{path}");
        assert_eq!(plain.header("content-encoding"), "", "{path}: nothing asked, nothing compressed");
        assert!(plain.varies_by("accept-encoding"), "{path}: caches must keep the encodings apart");
        for (accept, expected) in
            [("gzip, deflate, br", "br"), ("gzip", "gzip"), ("br;q=0.4, gzip;q=0.9", "gzip"), ("gzip;q=0, br", "br")]
        {
            let packed = get(&anon, path, &[("accept-encoding", accept)]).await;
            assert_eq!(packed.header("content-encoding"), expected, "{path} with {accept}");
            assert!(packed.varies_by("accept-encoding"), "{path} with {accept}");
            if plain.bytes.len() > 1000 {
                assert!(packed.bytes.len() < plain.bytes.len(), "{path} with {accept}: smaller");
            }
            assert_eq!(packed.text().as_bytes(), plain.bytes, "{path} with {accept}: the same content");
        }
    }
    let home = String::from_utf8(get(&anon, "/", &[]).await.bytes).unwrap();
    for asset in linked_assets(&home) {
        let plain = get(&anon, &asset, &[]).await;
        let packed = get(&anon, &asset, &[("accept-encoding", "br, gzip")]).await;
        assert_eq!(packed.header("content-encoding"), "br", "{asset}");
        assert_eq!(packed.text().as_bytes(), plain.bytes, "{asset}");
    }
}

#[tokio::test]
async fn pages_link_hashed_assets_that_are_kept_for_a_year_and_plain_names_revalidate() {
    let app = spawn().await;
    app.article("budget").await;
    let anon = app.client();
    let article = String::from_utf8(get(&anon, "/articles/budget", &[]).await.bytes).unwrap();
    let linked = linked_assets(&article);
    assert!(linked.len() >= 3, "{linked:?}");
    for asset in &linked {
        let name = asset.trim_start_matches("/assets/");
        let parts: Vec<&str> = name.split('.').collect();
        assert!(
            parts.len() == 3 && parts[1].len() == 8 && parts[1].bytes().all(|b| b.is_ascii_hexdigit()),
            "{asset} is not content-hashed"
        );
        let served = get(&anon, asset, &[]).await;
        assert_eq!(served.status, StatusCode::OK, "{asset}");
        assert_eq!(served.header("cache-control"), "public, max-age=31536000, immutable", "{asset}");
        // The plain name is the same file.
        let plain = get(&anon, &format!("/assets/{}.{}", parts[0], parts[2]), &[]).await;
        assert_eq!(plain.bytes, served.bytes, "{asset}");
    }
    // What publishers paste keeps working, briefly cached, then revalidated by its tag.
    for pasted in ["/assets/embed.js", "/assets/count.js"] {
        let first = get(&anon, pasted, &[]).await;
        assert_eq!(first.status, StatusCode::OK);
        assert_eq!(first.header("cache-control"), "public, max-age=300", "{pasted}");
        let etag = first.header("etag").to_owned();
        assert!(!etag.is_empty(), "{pasted} has an ETag");
        let again = get(&anon, pasted, &[("if-none-match", &etag)]).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{pasted}");
        assert!(again.bytes.is_empty());
        let other = get(&anon, pasted, &[("if-none-match", "W/\"something-else\"")]).await;
        assert_eq!(other.status, StatusCode::OK, "{pasted}");
    }
    assert_eq!(get(&anon, "/assets/civil.00000000.css", &[]).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn signed_out_pages_set_no_cookie_and_say_caches_may_keep_them() {
    let app = spawn_embedding().await;
    app.article("budget").await;
    let ada = app.reader("ada").await;
    let url = format!("/embed/thread?url={}", urlencoding::encode(&format!("{EMBEDDER}/2026/story")));
    let anon = app.client();
    for path in ["/", "/articles/budget", "/articles/budget?sort=top", url.as_str()] {
        let page = get(&anon, path, &[("accept-encoding", "br")]).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(page.headers.get("set-cookie").is_none(), "{path} sets a cookie: {:?}", page.headers);
        assert_eq!(page.header("cache-control"), "public, no-cache", "{path}");
        assert!(page.varies_by("cookie") && page.varies_by("accept-encoding"), "{path}");
        let etag = page.header("etag").to_owned();
        let again = get(&anon, path, &[("if-none-match", &etag), ("accept-encoding", "gzip")]).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{path}: the same page, by its tag");
        assert!(again.bytes.is_empty());
    }
    // Nor does any other page without a form that needs it; one with such a form sets it.
    for path in ["/users/ada", "/no/such/page", "/comments.atom"] {
        assert!(get(&app.client(), path, &[]).await.headers.get("set-cookie").is_none(), "{path}");
    }
    assert!(get(&anon, "/signin", &[]).await.headers.get("set-cookie").is_some());
    // A signed-in reader's page is theirs.
    let signed_in = get(&ada, "/articles/budget", &[]).await;
    assert_eq!(signed_in.header("cache-control"), "no-store");
    assert!(String::from_utf8(signed_in.bytes).unwrap().contains("Sign out"));
}

#[tokio::test]
async fn the_cached_page_follows_the_database_on_every_instance() {
    let one = spawn_embedding().await;
    let other = spawn_on(one.db.clone(), |s| {
        s.embed_origins = vec![civil::domain::canonical_url::Origin::parse(EMBEDDER).unwrap()]
    })
    .await;
    one.article("budget").await;
    let fragment = format!("/embed/thread?url={}", urlencoding::encode(&format!("{EMBEDDER}/2026/story")));
    let (reader_one, reader_other) = (one.client(), other.client());
    let before = get(&reader_one, "/articles/budget", &[("accept-encoding", "br")]).await;
    let fragment_before = get(&reader_one, &fragment, &[("accept-encoding", "gzip")]).await;
    assert!(before.text().contains("Be the first to comment"));
    let slug = fragment_before
        .text()
        .split("/articles/")
        .nth(1)
        .unwrap()
        .split(['"', '?', '#', '/'])
        .next()
        .unwrap()
        .to_owned();

    // Comments posted through the other instance.
    let ada = other.reader("ada").await;
    ada.comment("budget", "Posted on the other instance.").await;
    ada.comment(&slug, "Posted under the story, elsewhere.").await;
    for accept in ["br", "gzip", "identity"] {
        let after = get(&reader_one, "/articles/budget", &[("accept-encoding", accept)]).await;
        assert!(after.text().contains("Posted on the other instance."), "{accept}");
        let fragment_after = get(&reader_one, &fragment, &[("accept-encoding", accept)]).await;
        assert!(fragment_after.text().contains("Posted under the story, elsewhere."), "{accept}");
    }
    let revalidated = get(&reader_one, "/articles/budget", &[("if-none-match", before.header("etag"))]).await;
    assert_eq!(revalidated.status, StatusCode::OK, "the old tag no longer matches");
    // And the page of each instance is the same page.
    let here = get(&reader_one, "/articles/budget", &[]).await;
    let there = get(&reader_other, "/articles/budget", &[]).await;
    assert_eq!(here.header("etag"), there.header("etag"));
    assert_eq!(here.bytes, there.bytes);
}

/// A form on a page without a cookie, posted as a browser posts it.
async fn subscribe(app: &TestApp, token: &str, headers: &[(&str, &str)]) -> StatusCode {
    // A client with no cookie and no default `Origin`: only what each case sends.
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut request = http.post(format!("{}/newsletter", app.address)).form(&[
        ("csrf_token", token),
        ("email", "reader@example.com"),
        ("next", "/"),
    ]);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap().status()
}

fn csrf_of(html: &str) -> String {
    let marker = r#"name="csrf_token" value=""#;
    let start = html.find(marker).expect("a CSRF field") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn the_newsletter_form_of_a_page_without_a_cookie_is_accepted_only_from_our_pages_and_allowed_sites() {
    let app = spawn_embedding().await;
    app.article("budget").await;
    let anon = app.client();
    let page = get(&anon, "/articles/budget", &[]).await;
    assert!(page.headers.get("set-cookie").is_none());
    let token = csrf_of(&page.text());
    let ours = app.address.clone();

    assert_eq!(subscribe(&app, &token, &[("origin", &ours)]).await, StatusCode::OK, "from our page");
    assert_eq!(subscribe(&app, &token, &[("sec-fetch-site", "same-origin")]).await, StatusCode::OK);
    assert_eq!(subscribe(&app, &token, &[("origin", EMBEDDER)]).await, StatusCode::OK, "from the fragment");
    for refused in [
        vec![("origin", "https://forger.example")],
        vec![("origin", "null")],
        vec![("sec-fetch-site", "cross-site")],
        vec![],
    ] {
        assert_eq!(subscribe(&app, &token, &refused).await, StatusCode::FORBIDDEN, "{refused:?}");
    }
    let (hour, mac) = token.split_once('.').unwrap();
    let forged = format!("{hour}.{}", mac.chars().rev().collect::<String>());
    assert_eq!(subscribe(&app, &forged, &[("origin", &ours)]).await, StatusCode::FORBIDDEN, "a forged token");
    assert_eq!(subscribe(&app, "", &[("origin", &ours)]).await, StatusCode::FORBIDDEN, "no token");

    // A form left open for a day still works; after that its token has expired.
    app.advance(chrono::Duration::hours(23));
    assert_eq!(subscribe(&app, &token, &[("origin", &ours)]).await, StatusCode::OK);
    let newer = csrf_of(&get(&anon, "/articles/budget", &[]).await.text());
    assert_ne!(newer, token, "the cached page was made again with a newer token");
    app.advance(chrono::Duration::hours(3));
    assert_eq!(subscribe(&app, &token, &[("origin", &ours)]).await, StatusCode::FORBIDDEN, "expired");
    assert_eq!(subscribe(&app, &newer, &[("origin", &ours)]).await, StatusCode::OK);

    // The token belongs to no visitor, but it does not stand in for a signed-in reader's.
    let ada = app.reader("ada").await;
    let posted = ada.post_form("/newsletter", &[("csrf_token", &newer), ("email", "ada@example.com")]).await;
    assert_eq!(posted.status, StatusCode::FORBIDDEN);

    // What was accepted really subscribed: the confirmation goes out.
    app.deliver().await;
    assert!(!app.smtp.to("reader@example.com").is_empty());
}

#[tokio::test]
async fn head_answers_every_get_route_as_get_does_without_a_body() {
    let app = spawn_embedding().await;
    app.article("budget").await;
    let author = app.reader("author").await;
    let comment_id = author.comment("budget", "Something to point at.").await.to_string();
    let fill = |path: &str| {
        let path = path
            .replace("{slug}", "budget")
            .replace("{id}", &comment_id)
            .replace("{username}", "author")
            .replace("{token}", "not-a-real-token")
            .replace("{name}", "embed.js");
        match path.as_str() {
            "/embed/thread" | "/embed/frame" | "/embed/comments.atom" | "/embed/discussion" => {
                format!("{path}?url={}", urlencoding::encode(&format!("{EMBEDDER}/2026/story")))
            }
            _ => path,
        }
    };
    let admin = app.signed_in("boss", Role::Admin).await;
    let compared = ["content-type", "content-length", "content-encoding", "cache-control", "vary", "etag", "location"];
    let mut checked = 0;
    // An event stream never ends, so it has no whole body to compare (tests/it/live.rs).
    for endpoint in endpoints().into_iter().filter(|e| e.method == "GET" && !e.path.ends_with("/events")) {
        let path = fill(&endpoint.path);
        for who in ["anonymous", "admin"] {
            for accept in ["", "br, gzip"] {
                let headers: &[(&str, &str)] = if accept.is_empty() { &[] } else { &[("accept-encoding", accept)] };
                // Each anonymous request from a new visitor, so that each may get a first cookie.
                let (first, second) = match who {
                    "admin" => (&admin, &admin),
                    _ => (&app.client(), &app.client()),
                };
                let got = fetch(first, Method::GET, &path, headers).await;
                let head = fetch(second, Method::HEAD, &path, headers).await;
                assert_eq!(head.status, got.status, "HEAD {path} as {who}");
                assert!(head.bytes.is_empty(), "HEAD {path} as {who} sent a body");
                for name in compared {
                    if name == "content-length" && !got.header("content-encoding").is_empty() {
                        // A page made per request (the frame's script nonce) compresses to a few
                        // bytes more or less each time: the length is there, and near.
                        let (h, g) = (head.header(name).parse::<i64>().ok(), got.header(name).parse::<i64>().ok());
                        assert!(
                            h.zip(g).is_some_and(|(h, g)| (h - g).abs() <= 16) || h == g,
                            "{name} of HEAD {path} as {who} ({accept}): {h:?} against {g:?}"
                        );
                        continue;
                    }
                    assert_eq!(head.header(name), got.header(name), "{name} of HEAD {path} as {who} ({accept})");
                }
                assert_eq!(head.headers.contains_key("set-cookie"), got.headers.contains_key("set-cookie"));
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "{checked}");
}

/// About 300 characters of text that no other comment repeats, from words made of random
/// syllables: it compresses less well than real prose, so the budget is not met by luck.
fn prose(n: usize) -> String {
    const SYLLABLES: [&str; 32] = [
        "ber", "lon", "dem", "mar", "tol", "ven", "ros", "pel", "sim", "kor", "lat", "ned", "bri", "mol", "tes", "dur",
        "vak", "lem", "sor", "jal", "wen", "zol", "qua", "rel", "tam", "gor", "bel", "yun", "pra", "les", "ord", "eln",
    ];
    let mut state = (n as u64 + 1).wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut next = |bound: u64| {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 33) % bound) as usize
    };
    let mut text = format!("Comment {n}:");
    while text.len() < 300 {
        text.push(' ');
        for _ in 0..1 + next(3) {
            text.push_str(SYLLABLES[next(32)]);
        }
        if next(9) == 0 {
            text.push('.');
        }
    }
    text + "."
}

/// The budgets of issue 10: what a page loads stays light.
#[tokio::test]
async fn css_and_js_stay_under_60_kb_and_the_200_comment_page_under_40_kb_compressed() {
    let app = spawn_embedding().await;
    app.article("bench-200").await;
    let readers = [app.reader("ada").await, app.reader("bob").await, app.reader("cyd").await, app.reader("dee").await];
    // As the benchmark seeds it: 134 top-level comments and 66 replies.
    let mut roots = Vec::new();
    for n in 0..134 {
        roots.push(readers[n % 4].comment("bench-200", &prose(n)).await);
    }
    for n in 0..66 {
        readers[(n + 1) % 4].reply("bench-200", roots[n * 2], &prose(200 + n)).await;
    }
    let anon = app.client();
    let frame = format!("/embed/frame?url={}", urlencoding::encode(&format!("{EMBEDDER}/2026/story")));
    for (path, headers) in
        [("/articles/bench-200", vec![]), ("/", vec![]), (frame.as_str(), vec![("sec-fetch-dest", "iframe")])]
    {
        let page = get(&anon, path, &headers).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let mut total = 0;
        for asset in linked_assets(&page.text()).iter().filter(|a| a.ends_with(".css") || a.ends_with(".js")) {
            total += get(&anon, asset, &[]).await.bytes.len();
        }
        assert!(total > 10_000, "{path}: {total}");
        assert!(total < 60 * 1024, "the CSS and JS {path} loads is {total} bytes");
        println!("CSS and JS that {path} loads: {total} bytes");
    }
    for accept in ["br", "gzip"] {
        let page = get(&anon, "/articles/bench-200", &[("accept-encoding", accept)]).await;
        assert_eq!(page.header("content-encoding"), accept);
        let text = page.text();
        assert!(text.contains(&prose(0)) && text.contains(&prose(200)), "the page shows the thread");
        assert!(page.bytes.len() < 40 * 1024, "the 200-comment page is {} bytes with {accept}", page.bytes.len());
        println!("the 200-comment page: {} bytes with {accept}, {} plain", page.bytes.len(), text.len());
    }
}
