//! The gaps in and around the embed's frame: signing out in it, refused posts coming back to
//! it, moderating in it, which pages it (and nothing else) may frame, who may start a thread,
//! and single sign-on's limits. (`browser_embed` drives the frame in Chromium.)

use civil::domain::canonical_url::Origin;
use civil::domain::role::Role;
use civil::http::routes::{endpoints, Framing};
use reqwest::header::SET_COOKIE;
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
}

fn frame_path(url: &str) -> String {
    format!("/embed/frame?url={}&title=AI%20story", urlencoding::encode(url))
}

fn set_cookies(headers: &HeaderMap) -> Vec<String> {
    headers.get_all(SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect()
}

/// A reader inside the frame on another site, with third-party cookies blocked: the browser
/// sends only the partitioned twins, and marks each request as the frame's.
struct FrameReader {
    http: reqwest::Client,
    base: String,
    /// `civil_frame_session=...` once signed in.
    cookie: String,
}

impl FrameReader {
    /// Open the frame and sign in from it, as the frame's sign-in form does.
    async fn sign_in(app: &TestApp, login: &str) -> FrameReader {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let mut reader = FrameReader { http, base: app.address.clone(), cookie: String::new() };
        let frame = reader.get(&frame_path(STORY)).await;
        let csrf = set_cookies(&frame.headers)
            .into_iter()
            .find_map(|c| c.strip_prefix("civil_frame_csrf=").map(|v| v.split(';').next().unwrap().to_owned()))
            .expect("the frame's CSRF cookie");
        reader.cookie = format!("civil_frame_csrf={csrf}");
        let signed_in = reader
            .post("/signin?next=/articles/ai-story", &[("csrf_token", &csrf), ("login", login), ("password", PASSWORD)])
            .await;
        assert_eq!(signed_in.status, StatusCode::SEE_OTHER, "{}", signed_in.text);
        reader.cookie = set_cookies(&signed_in.headers)
            .into_iter()
            .find(|c| c.starts_with("civil_frame_session="))
            .map(|c| c.split(';').next().unwrap().to_owned())
            .expect("the frame's session cookie");
        reader
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Page {
        let response = request.header("Sec-Fetch-Dest", "iframe").header("Cookie", &self.cookie).send().await.unwrap();
        Page { status: response.status(), headers: response.headers().clone(), text: response.text().await.unwrap() }
    }

    async fn get(&self, path: &str) -> Page {
        self.send(self.http.get(format!("{}{path}", self.base))).await
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        self.send(self.http.post(format!("{}{path}", self.base)).form(form)).await
    }
}

/// Shown in the frame: no site header, and the frame's script.
fn assert_in_frame(page: &Page) {
    page.assert_contains(r#"class="embed-frame""#);
    page.assert_contains(r#"src="/assets/embed-frame."#);
    page.assert_lacks(r#"class="site""#);
}

/// The frame's own page (the discussion block alone), not Civil's page for the thread shown in
/// the frame (with the article's heading and link above the discussion).
fn assert_frame_page(page: &Page) {
    assert_in_frame(page);
    page.assert_contains("<title>Discussion: AI story");
    page.assert_lacks(r#"class="story""#);
}

/// The text of the first form field `name` on the page with `action`, HTML-unescaped.
fn form_action(page: &Page, starts: &str) -> String {
    let marker = format!("action=\"{starts}");
    let start = page.text.find(&marker).unwrap_or_else(|| panic!("no form posting to {starts}: {}", page.text))
        + "action=\"".len();
    page.text[start..].split('"').next().unwrap().replace("&amp;", "&")
}

#[tokio::test]
async fn a_reader_signs_out_inside_the_frame_and_stays_on_the_same_page_of_the_thread() {
    let app = spawn_embedding().await;
    assert_eq!(app.client().get(&frame_path(STORY)).await.status, StatusCode::OK);
    let author = app.reader("author").await;
    for i in 0..55 {
        author.comment("ai-story", &format!("Comment number {i}.")).await;
    }
    app.create_user("ada", Role::Reader).await;
    let ada = FrameReader::sign_in(&app, "ada").await;
    // The second page of the thread, in the frame.
    let first = ada.get(&frame_path(STORY)).await;
    let marker = "href=\"/articles/ai-story?sort=oldest&amp;after=";
    let start = first.text.find(marker).expect("a link to the next page") + marker.len();
    let after = first.text[start..].split(['"', '#']).next().unwrap().to_owned();
    let page_two = format!("/embed/frame?url={}&after={after}", urlencoding::encode(STORY));
    let framed = ada.get(&page_two).await;
    assert_eq!(framed.status, StatusCode::OK);
    framed.assert_contains("Comment number 54.");
    framed.assert_contains("Signed in as");
    framed.assert_contains(">Sign out</button>");
    let sign_out = form_action(&framed, "/signout");
    // The frame names its order too: the site's default may change meanwhile.
    let here = format!("/embed/frame?url={}&sort=oldest&after={after}", urlencoding::encode(STORY));
    assert_eq!(sign_out, format!("/signout?next={}", urlencoding::encode(&here)));

    let out = ada.post(&sign_out, &[("csrf_token", &framed.csrf())]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "{}", out.text);
    assert_eq!(out.location(), here, "back to the same page of the thread, in the frame");
    let cookies = set_cookies(&out.headers);
    let cleared = cookies.iter().find(|c| c.starts_with("civil_frame_session=;")).expect("the twin is cleared");
    assert!(cleared.contains("Max-Age=0") && cleared.contains("Partitioned"), "{cleared}");
    let csrf = cookies.iter().find(|c| c.starts_with("civil_frame_csrf=")).expect("a fresh CSRF twin");
    assert!(csrf.contains("Partitioned"), "{csrf}");

    // The session is over on the server, whatever the browser kept.
    let back = ada.get(out.location()).await;
    assert_eq!(back.status, StatusCode::OK);
    assert_frame_page(&back);
    back.assert_contains(r#"data-signed-in="false""#);
    back.assert_lacks("Signed in as");
    back.assert_contains("Comment number 54.");
    back.assert_lacks("Comment number 0.");
}

/// A refused comment, reply, edit or flag posted from the frame comes back in the frame, with the
/// reason beside the form and the reader's text in it (it used to land on Civil's own page).
#[tokio::test]
async fn a_refused_post_reply_or_edit_comes_back_in_the_frame_with_the_draft() {
    let app = spawn_embedding().await;
    app.site_settings(|s| s.words.banned = vec!["gammon".into()]).await;
    assert_eq!(app.client().get(&frame_path(STORY)).await.status, StatusCode::OK);
    app.create_user("ada", Role::Reader).await;
    let ada = FrameReader::sign_in(&app, "ada").await;
    let frame = ada.get(&frame_path(STORY)).await;
    let csrf = frame.csrf();
    let action = form_action(&frame, "/articles/ai-story/comments");

    let empty = ada.post(&action, &[("csrf_token", &csrf), ("body", "  "), ("sort", "oldest")]).await;
    assert!(empty.status.is_client_error(), "{}", empty.status);
    assert_frame_page(&empty);
    empty.assert_contains(r#"id="comment-form-error""#);

    let draft = "You gammon, this is my draft.";
    let banned = ada.post(&action, &[("csrf_token", &csrf), ("body", draft), ("sort", "oldest")]).await;
    assert!(banned.status.is_client_error(), "{}", banned.status);
    assert_frame_page(&banned);
    banned.assert_contains(r#"id="comment-form-error""#);
    banned.assert_contains(&format!(">{draft}</textarea>"));

    // A reply keeps its draft under the comment it answers.
    let posted = ada.post(&action, &[("csrf_token", &csrf), ("body", "A fine first comment.")]).await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.text);
    let id: i64 = posted.location().rsplit("#comment-").next().unwrap().parse().unwrap();
    let reply = ada
        .post(&action, &[("csrf_token", &csrf), ("body", draft), ("parent_id", &id.to_string()), ("sort", "oldest")])
        .await;
    assert!(reply.status.is_client_error(), "{}", reply.status);
    assert_frame_page(&reply);
    reply.assert_contains(&format!(r#"id="reply-{id}-error""#));
    reply.assert_contains(&format!(">{draft}</textarea>"));

    // An edit is refused in the frame too, on its own form there.
    let edit_form = ada.get(&format!("/comments/{id}/edit")).await;
    assert_eq!(edit_form.status, StatusCode::OK);
    assert_in_frame(&edit_form);
    let edited = ada.post(&format!("/comments/{id}/edit"), &[("csrf_token", &csrf), ("body", draft)]).await;
    assert!(edited.status.is_client_error(), "{}", edited.status);
    assert_in_frame(&edited);
    edited.assert_contains(draft);
    edited.assert_contains(r#"role="alert""#);

    // A flag that needs a note ("Something else" without one) comes back open in the frame.
    let others = app.reader("bob").await.comment("ai-story", "Somebody else's comment.").await;
    let flag = ada.post(&format!("/comments/{others}/flag"), &[("csrf_token", &csrf), ("reason", "other")]).await;
    assert!(flag.status.is_client_error(), "{}", flag.status);
    assert_frame_page(&flag);
    flag.assert_contains(r#"role="alert""#);

    // On a closed discussion, the refusal also comes back in the frame.
    let moderator = app.signed_in("mira", Role::Moderator).await;
    let closed = moderator.submit("/articles/ai-story", "/moderation/articles/ai-story/close", &[]).await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER);
    let late = ada.post(&action, &[("csrf_token", &csrf), ("body", "Too late?")]).await;
    assert!(late.status.is_client_error(), "{}", late.status);
    assert_frame_page(&late);
    late.assert_contains("closed");
}

async fn thread_count(app: &TestApp) -> usize {
    civil::services::embeds::threads(&app.app, civil::services::Actor::Operator).await.unwrap().len()
}

/// A page on a site that may not embed cannot start threads for addresses on one that may: when
/// the browser says where the request comes from, only the article's own site (or Civil) starts
/// its thread. A server including the fragment says nothing and still does, and a thread once
/// started stays readable from anywhere.
#[tokio::test]
async fn a_page_elsewhere_cannot_start_a_thread_for_an_allowed_sites_article() {
    let app = spawn_embedding().await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let get = |path: String, headers: &'static [(&'static str, &'static str)]| {
        let mut request = http.get(format!("{}{path}", app.address));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        async move {
            let response = request.send().await.unwrap();
            (response.status(), response.text().await.unwrap())
        }
    };
    let encoded = urlencoding::encode(STORY).into_owned();
    let frame = format!("/embed/frame?url={encoded}");
    let fragment = format!("/embed/thread?url={encoded}");
    let discussion = format!("/embed/discussion?url={encoded}");
    const FRAMED_ELSEWHERE: &[(&str, &str)] =
        &[("Sec-Fetch-Dest", "iframe"), ("Sec-Fetch-Site", "cross-site"), ("Referer", "https://evil.example/")];
    const FETCHED_ELSEWHERE: &[(&str, &str)] = &[("Origin", "https://evil.example"), ("Sec-Fetch-Site", "cross-site")];
    const LINKED_ELSEWHERE: &[(&str, &str)] =
        &[("Sec-Fetch-Dest", "document"), ("Sec-Fetch-Site", "cross-site"), ("Referer", "https://evil.example/a")];
    const UNDISCLOSED: &[(&str, &str)] = &[("Sec-Fetch-Dest", "iframe"), ("Sec-Fetch-Site", "cross-site")];
    for (path, headers) in [
        (&frame, FRAMED_ELSEWHERE),
        (&fragment, FETCHED_ELSEWHERE),
        (&discussion, LINKED_ELSEWHERE),
        (&frame, UNDISCLOSED),
    ] {
        let (status, text) = get(path.clone(), headers).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path} {headers:?}: {text}");
        assert!(text.contains("cannot start a discussion of an article on https://news.example.com"), "{text}");
    }
    assert_eq!(thread_count(&app).await, 0, "nothing was started");

    // The article's own site starts it (its frame says where it is), and then it is readable
    // from anywhere (though only the allowed site may frame it).
    let (status, _) = get(
        frame.clone(),
        &[("Sec-Fetch-Dest", "iframe"), ("Sec-Fetch-Site", "cross-site"), ("Referer", "https://news.example.com/")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(thread_count(&app).await, 1);
    let (status, text) = get(fragment.clone(), FETCHED_ELSEWHERE).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains("Discussion (0)"));

    // A server (a CMS including the fragment) sends none of those headers, and starts threads.
    let other = urlencoding::encode("https://news.example.com/2026/other").into_owned();
    let (status, _) = get(format!("/embed/thread?url={other}"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    // So does Civil's own page.
    let third = urlencoding::encode("https://news.example.com/2026/third").into_owned();
    let (status, _) =
        get(format!("/embed/frame?url={third}"), &[("Sec-Fetch-Dest", "iframe"), ("Sec-Fetch-Site", "same-origin")])
            .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(thread_count(&app).await, 3);
}

/// A moderator signed in inside the frame sees the held comments and the inline controls, and
/// approves, removes and closes without leaving the frame (the queue opens apart: it may not
/// be framed).
#[tokio::test]
async fn a_moderator_in_the_frame_approves_removes_and_closes_and_stays_in_the_frame() {
    let app = spawn_embedding().await;
    assert_eq!(app.client().get(&frame_path(STORY)).await.status, StatusCode::OK);
    let ada = app.reader("ada").await;
    let published = ada.comment("ai-story", "A plain comment to take down.").await;
    app.site_settings(|s| s.policy.premoderation = civil::domain::moderation::Premoderation::Everyone).await;
    let held = ada.try_comment("ai-story", "Am I a snowflake for asking?", None).await;
    assert_eq!(held.body["status"], "pending");
    let held = held.body["id"].as_i64().unwrap();
    app.create_user("mira", Role::Moderator).await;
    let mira = FrameReader::sign_in(&app, "mira").await;

    let frame = mira.get(&frame_path(STORY)).await;
    assert_frame_page(&frame);
    frame.assert_contains("Am I a snowflake for asking?");
    let approve = form_action(&frame, &format!("/moderation/comments/{held}/approve"));
    let remove = form_action(&frame, &format!("/moderation/comments/{published}/remove"));
    frame.assert_contains(r#"target="_blank">Moderate</a>"#);
    let csrf = frame.csrf();
    let back = format!("/articles/ai-story?sort=oldest#comment-{held}");

    let approved = mira.post(&approve, &[("csrf_token", &csrf), ("back", &back)]).await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.text);
    assert_eq!(approved.location(), back, "back to the thread, not to the queue");
    let into_frame = mira.get(approved.location()).await;
    assert_eq!(into_frame.status, StatusCode::SEE_OTHER);
    assert!(into_frame.location().starts_with("/embed/frame?url="), "{}", into_frame.location());
    let anyone = app.client().get(&frame_path(STORY)).await;
    anyone.assert_contains("Am I a snowflake for asking?");

    let removed = mira.post(&remove, &[("csrf_token", &csrf), ("reason", "spam"), ("back", &back)]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.text);
    assert_eq!(removed.location(), back);
    let anyone = app.client().get(&frame_path(STORY)).await;
    anyone.assert_lacks("A plain comment to take down.");
    // A refusal (no reason) is an error page the frame may show, not the queue.
    let refused =
        mira.post(&format!("/moderation/comments/{held}/remove"), &[("csrf_token", &csrf), ("back", &back)]).await;
    assert!(refused.status.is_client_error(), "{}", refused.status);
    assert!(csp(&refused.headers).ends_with(&format!("frame-ancestors 'self' {SITE}")));
    refused.assert_lacks("queue-item");

    let close = form_action(&frame, "/moderation/articles/ai-story/close");
    let closed = mira.post(&close, &[("csrf_token", &csrf)]).await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER);
    let back_in = mira.get(closed.location()).await;
    assert!(back_in.location().starts_with("/embed/frame?url="), "{}", back_in.location());
    let shut = mira.get(back_in.location().split('#').next().unwrap()).await;
    shut.assert_contains("The discussion on this article is closed.");
    shut.assert_contains("Reopen discussion");
}
