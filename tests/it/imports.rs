//! `civil import`: real exports from other projects' importer tests (tests/fixtures/import,
//! with their README), run through the built binary, and the result checked over HTTP.

use std::path::PathBuf;

use civil::domain::canonical_url::Origin;
use civil::domain::role::Role;
use reqwest::StatusCode;
use serde_json::Value;

use crate::cli::{civil, ok};
use crate::helpers::*;

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import").join(name).to_string_lossy().into_owned()
}

/// Run an import; its report (stdout) and stderr.
fn import(db: &TestDatabase, args: &[&str]) -> (String, String) {
    let mut all = vec!["import"];
    all.extend_from_slice(args);
    let output = civil(db, &all, "");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (ok(&output), stderr)
}

/// Run an import that must fail; its stderr.
fn refused(db: &TestDatabase, args: &[&str]) -> String {
    let mut all = vec!["import"];
    all.extend_from_slice(args);
    let output = civil(db, &all, "");
    assert!(!output.status.success(), "expected a refusal: {}", String::from_utf8_lossy(&output.stdout));
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn fresh() -> std::sync::Arc<TestDatabase> {
    let db = std::sync::Arc::new(TestDatabase::new());
    ok(&civil(&db, &["migrate"], ""));
    db
}

async fn serve(db: &std::sync::Arc<TestDatabase>, origins: &[&str]) -> TestApp {
    let origins: Vec<Origin> = origins.iter().map(|o| Origin::parse(o).unwrap()).collect();
    spawn_on(db.clone(), move |s| s.embed_origins = origins).await
}

/// Published counts for addresses, as the embed's count.js asks for them.
async fn counts(client: &Client, urls: &[&str]) -> Vec<i64> {
    let query: Vec<String> = urls.iter().map(|u| format!("url={}", urlencoding::encode(u))).collect();
    let json = client.api_get(&format!("/api/v1/counts?{}", query.join("&"))).await;
    assert_eq!(json.status, StatusCode::OK, "{}", json.body);
    urls.iter()
        .map(|u| json.body["counts"][*u].as_i64().unwrap_or_else(|| panic!("no count for {u}: {}", json.body)))
        .collect()
}

/// The slug of the external thread for `url` (as normalised).
async fn slug_of(app: &TestApp, url: &str) -> String {
    let threads = civil::services::embeds::threads(&app.app, civil::services::Actor::Operator).await.unwrap();
    let urls: Vec<_> = threads.iter().map(|t| t.canonical_url.clone()).collect();
    threads
        .into_iter()
        .find(|t| t.canonical_url.as_deref() == Some(url))
        .unwrap_or_else(|| panic!("no thread for {url} among {urls:?}"))
        .slug
}

/// Every comment of a thread as readers get it, depth-first: (id, body_html, depth in the tree).
async fn thread(client: &Client, slug: &str) -> Vec<Value> {
    let json = client.thread(slug, "").await;
    assert_eq!(json.status, StatusCode::OK, "{}", json.body);
    let mut out = Vec::new();
    fn walk(list: &Value, depth: u64, out: &mut Vec<Value>) {
        for c in list.as_array().unwrap() {
            let mut c = c.clone();
            c["tree_depth"] = depth.into();
            out.push(c.clone());
            walk(&c["replies"], depth + 1, out);
        }
    }
    walk(&json.body["comments"], 0, &mut out);
    out
}

#[tokio::test]
async fn disqus_threads_comments_nesting_and_deleted_placeholders_come_across() {
    let db = fresh();
    let (report, _) = import(&db, &["disqus", &fixture("isso-disqus.xml")]);
    // As isso's own test: 5 comments, orphan post 6 dropped, deleted post 9 kept for its reply.
    assert!(report.contains("Comments: 5 (1 deleted, 4 published)"), "{report}");
    assert!(report.contains("1  orphan: its thread is not in the file"), "{report}");
    let (report, _) = import(&db, &["disqus", &fixture("pygameweb-disqus.xml")]);
    assert!(report.contains("Comments: 4 (4 published)"), "{report}");

    let app = serve(&db, &["http://example.org", "http://localhost:4000", "http://example.com"]).await;
    let anon = app.client();
    assert_eq!(
        counts(&anon, &["http://example.org/", "http://localhost:4000/blog/2013/02/12/redacted/index.html"]).await,
        vec![3, 1],
        "the deleted placeholder is not counted"
    );
    let hello = thread(&anon, &slug_of(&app, "http://example.org/").await).await;
    assert_eq!(hello.len(), 4, "{hello:?}");
    let placeholders: Vec<&Value> = hello.iter().filter(|c| c["body_html"].as_str().unwrap_or("").is_empty()).collect();
    assert_eq!(placeholders.len(), 1, "the deleted comment stays as a placeholder: {hello:?}");
    assert_eq!(hello.iter().filter(|c| c["tree_depth"] == 1).count(), 2, "two replies: {hello:?}");
    assert!(hello.iter().any(|c| c["body_html"].as_str().unwrap().contains("<p>Hello, World.</p>")));

    // pygameweb's chain 194229307 → 194253320 → 194253444 is three deep, oldest first.
    let pygame = thread(&anon, &slug_of(&app, "http://example.com/project/1820/").await).await;
    let depths: Vec<u64> = pygame.iter().map(|c| c["tree_depth"].as_u64().unwrap()).collect();
    assert_eq!(depths, vec![0, 0, 1, 2], "{pygame:?}");
}

#[tokio::test]
async fn spam_arrives_removed_unreadable_posts_are_skipped_and_deleted_threads_stay_out() {
    let db = fresh();
    // The file starts with a stray backtick before `<?xml`; one post is malformed.
    let (report, _) = import(&db, &["disqus", &fixture("remark42-disqus.xml")]);
    assert!(report.contains("Comments: 5 (4 published, 1 removed)"), "{report}");
    assert!(report.contains("line 135"), "the malformed post is named by its line: {report}");
    let app = serve(&db, &["https://radio-t.com", "http://radio-t.umputun.com"]).await;
    let anon = app.client();
    // remark42's own expectation: 2 comments on each thread.
    assert_eq!(
        counts(
            &anon,
            &["https://radio-t.com/p/2011/03/05/podcast-229/", "http://radio-t.umputun.com/2011/03/229_8880.html"]
        )
        .await,
        vec![2, 2]
    );
    let moderator = app.signed_in("moddy", Role::Moderator).await;
    let removed = moderator.api_get("/api/v1/moderation/queue?tab=removed").await;
    assert!(removed.body.to_string().contains("some ugly spam"), "{}", removed.body);
    // An author without an address keeps their name on the comment.
    let radio_t = thread(&anon, &slug_of(&app, "https://radio-t.com/p/2011/03/05/podcast-229/").await).await;
    assert!(radio_t.iter().any(|c| c.to_string().contains("Alexander Blah")), "the name is kept: {radio_t:?}");

    let db = fresh();
    let (report, _) = import(&db, &["disqus", &fixture("remark42-disqus-deleted-thread.xml")]);
    assert!(report.contains("its thread was deleted at the source"), "{report}");
    assert!(report.contains("Comments: 2 (2 published)"), "remark42 expects 2: {report}");
}

#[tokio::test]
async fn importing_the_same_file_twice_adds_nothing_and_a_dry_run_writes_nothing() {
    let db = fresh();
    let (dry, _) = import(&db, &["disqus", "--dry-run", &fixture("isso-disqus.xml")]);
    assert!(dry.starts_with("Dry run: nothing was written"), "{dry}");
    assert!(dry.contains("Comments: 5 (1 deleted, 4 published)"), "{dry}");
    let (first, _) = import(&db, &["disqus", &fixture("isso-disqus.xml")]);
    assert!(first.contains("Authors: 2 accounts made"), "{first}");
    let (second, _) = import(&db, &["disqus", &fixture("isso-disqus.xml")]);
    assert!(second.contains("Comments: 0\n"), "{second}");
    assert!(second.contains("Already imported before: 5"), "{second}");
    assert!(second.contains("Authors: 0 accounts made"), "{second}");
    let app = serve(&db, &["http://example.org"]).await;
    let threads = civil::services::embeds::threads(&app.app, civil::services::Actor::Operator).await.unwrap();
    assert_eq!(threads.len(), 2, "the dry run made none, the two imports two");
    assert_eq!(counts(&app.client(), &["http://example.org/"]).await, vec![3]);
    assert_eq!(thread(&app.client(), &slug_of(&app, "http://example.org/").await).await.len(), 4);
}

#[tokio::test]
async fn wordpress_exports_in_either_namespace_skip_pingbacks_and_hold_unapproved_comments() {
    let db = fresh();
    let (report, _) = import(&db, &["wordpress", &fixture("isso-wordpress.xml")]);
    // As isso's test: 8 comments on 2 threads; the query string keeps `?p=4` apart.
    assert!(report.contains("Threads: 2 new"), "{report}");
    assert!(report.contains("Comments: 8 (8 published)"), "{report}");
    // A real WordPress 4.8 export, starting with a newline before `<?xml`.
    let (report, _) = import(&db, &["wordpress", &fixture("remark42-wordpress.xml")]);
    assert!(report.contains("1  pingback"), "{report}");
    assert!(report.contains("Comments: 3 (1 pending, 2 published)"), "{report}");
    // The https:// spelling of the namespace, which isso's detector misses.
    let dir = tempfile::tempdir().unwrap();
    let https = dir.path().join("https.xml");
    std::fs::write(&https, HTTPS_WXR).unwrap();
    let (report, _) = import(&db, &["wordpress", &https.to_string_lossy()]);
    assert!(report.contains("Comments: 2 (1 published, 1 removed)"), "{report}");
    assert!(report.contains("1  trackback"), "{report}");

    let app =
        serve(&db, &["http://example.tld", "https://realmenweardress.es", "https://wpthemetestdata.example"]).await;
    let anon = app.client();
    assert_eq!(
        counts(&anon, &["http://example.tld/2014/test/", "https://realmenweardress.es/2010/07/do-you-rp/"]).await,
        vec![7, 2]
    );
    let test = thread(&anon, &slug_of(&app, "http://example.tld/2014/test/").await).await;
    assert!(
        test.iter().any(|c| c["body_html"].as_str().unwrap().contains("multiple lines:<br>\nWordPress")),
        "a single line break stays a break: {test:?}"
    );
    // 6 ← 7 ← {8, 9}: three levels.
    assert_eq!(test.iter().filter(|c| c["tree_depth"] == 2).count(), 2, "{test:?}");
    // Imported text is masked as a new comment is, and HTML became markdown.
    let greek =
        thread(&anon, &slug_of(&app, "https://wpthemetestdata.example/2012/01/03/template-comments/").await).await;
    let html = greek[0]["body_html"].as_str().unwrap();
    assert!(html.contains("<strong>Bold</strong>") && html.contains("href=\"https://example.com/\""), "{html}");
    assert!(html.contains("s***") && !html.contains("shit"), "masked: {html}");
    let moderator = app.signed_in("moddy", Role::Moderator).await;
    let queue = moderator.api_get("/api/v1/moderation/queue").await;
    assert!(queue.body.to_string().contains("I think it us inherent"), "the unapproved comment waits: {}", queue.body);
    let entity = thread(&anon, &slug_of(&app, "https://realmenweardress.es/2010/07/do-you-rp/").await).await;
    assert!(entity.iter().all(|c| !c["body_html"].as_str().unwrap().contains("I think it us inherent")));
}

const HTTPS_WXR: &str = r#"<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:wp="https://wordpress.org/export/1.2/" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
  <item>
    <title>Template: Comments</title>
    <link>https://wpthemetestdata.example/2012/01/03/template-comments/</link>
    <wp:post_id>1148</wp:post_id>
    <wp:comment>
      <wp:comment_id>881</wp:comment_id>
      <wp:comment_author><![CDATA[Ελληνικά]]></wp:comment_author>
      <wp:comment_author_email><![CDATA[greek@example.com]]></wp:comment_author_email>
      <wp:comment_date_gmt><![CDATA[2013-03-11 23:47:07]]></wp:comment_date_gmt>
      <wp:comment_content><![CDATA[<strong>Bold</strong> and <a href="https://example.com/">a link</a>, you shit]]></wp:comment_content>
      <wp:comment_approved><![CDATA[1]]></wp:comment_approved>
      <wp:comment_type><![CDATA[comment]]></wp:comment_type>
      <wp:comment_parent>0</wp:comment_parent>
    </wp:comment>
    <wp:comment>
      <wp:comment_id>882</wp:comment_id>
      <wp:comment_author><![CDATA[Buy now]]></wp:comment_author>
      <wp:comment_date_gmt><![CDATA[2013-03-12 10:00:00]]></wp:comment_date_gmt>
      <wp:comment_content><![CDATA[cheap pills]]></wp:comment_content>
      <wp:comment_approved><![CDATA[spam]]></wp:comment_approved>
      <wp:comment_parent>881</wp:comment_parent>
    </wp:comment>
    <wp:comment>
      <wp:comment_id>883</wp:comment_id>
      <wp:comment_author><![CDATA[
        Another blog]]></wp:comment_author>
      <wp:comment_date_gmt><![CDATA[2013-03-12 11:00:00]]></wp:comment_date_gmt>
      <wp:comment_content><![CDATA[[...] linked here [...]]]></wp:comment_content>
      <wp:comment_approved><![CDATA[1]]></wp:comment_approved>
      <wp:comment_type><![CDATA[trackback]]></wp:comment_type>
      <wp:comment_parent>0</wp:comment_parent>
    </wp:comment>
  </item>
</channel>
</rss>
"#;

#[tokio::test]
async fn an_isso_database_comes_across_with_votes_states_and_safe_text() {
    let db = fresh();
    let err = refused(&db, &["isso", &fixture("isso-comments.db")]);
    assert!(err.contains("--site"), "{err}");
    let (report, _) = import(&db, &["isso", "--site", "https://example.tld", &fixture("isso-comments.db")]);
    assert!(report.contains("Comments: 19 (2 deleted, 1 pending, 16 published)"), "{report}");
    assert!(report.contains("2 likes kept as score; 1 dislikes"), "{report}");

    let app = serve(&db, &["https://example.tld"]).await;
    let anon = app.client();
    // Isso's own /count: 4 on this thread (modes 2 and 4 are not counted).
    assert_eq!(counts(&anon, &["https://example.tld/2026/01/deepseek-v4/"]).await, vec![4]);
    let slug = slug_of(&app, "https://example.tld/2026/01/deepseek-v4/").await;
    let comments = thread(&anon, &slug).await;
    assert!(comments.iter().any(|c| c["score"] == 2), "likes become the score: {comments:?}");
    let html: String = comments.iter().map(|c| c["body_html"].as_str().unwrap().to_owned()).collect();
    assert!(!html.contains("<script"), "a literal <script> never reaches readers as a tag: {html}");
    assert!(
        html.contains("Привет")
            || html.contains("привет")
            || html.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c))
    );
    assert_eq!(comments.iter().filter(|c| c["body_html"].as_str().unwrap().is_empty()).count(), 1, "one placeholder");
}

#[tokio::test]
async fn files_that_are_not_what_they_claim_stop_with_the_line_and_write_nothing() {
    let db = fresh();
    let err = refused(&db, &["wordpress", &fixture("isso-disqus.xml")]);
    assert!(err.contains("this is a Disqus export") && err.contains("Nothing was imported"), "{err}");
    let err = refused(&db, &["disqus", &fixture("isso-wordpress.xml")]);
    assert!(err.contains("this is a WordPress export (WXR), not a Disqus export"), "{err}");
    let err = refused(&db, &["disqus", &fixture("isso-comments.db")]);
    assert!(err.contains("SQLite database, not an XML export"), "{err}");
    let err = refused(&db, &["isso", "--site", "https://example.tld", &fixture("isso-disqus.xml")]);
    assert!(err.contains("not an SQLite database"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let whole = std::fs::read(fixture("isso-disqus.xml")).unwrap();
    let cut = dir.path().join("cut.xml");
    std::fs::write(&cut, &whole[..3_000]).unwrap();
    let err = refused(&db, &["disqus", &cut.to_string_lossy()]);
    assert!(err.contains("line 98: the file ends inside <thread>"), "{err}");
    let text = dir.path().join("text.xml");
    std::fs::write(&text, "thread,post\n1,2\n").unwrap();
    let err = refused(&db, &["disqus", &text.to_string_lossy()]);
    assert!(err.contains("line 1: this is not XML"), "{err}");
    // The hostile payload from a Laravel importer's test: an external entity.
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, "TOP-SECRET").unwrap();
    let xxe = dir.path().join("xxe.xml");
    std::fs::write(
        &xxe,
        format!(
            "<?xml version=\"1.0\"?>\n<!DOCTYPE disqus [<!ENTITY xxe SYSTEM \"file://{}\">]>\n<disqus>\n<thread dsq:id=\"1\"><link>http://example.org/</link></thread>\n<post dsq:id=\"2\"><message>&xxe;</message><createdAt>2013-10-10T19:20:29Z</createdAt><thread dsq:id=\"1\"/></post>\n</disqus>\n",
            secret.display()
        ),
    )
    .unwrap();
    let err = refused(&db, &["disqus", &xxe.to_string_lossy()]);
    assert!(err.contains("line 2") && err.contains("never reads DTDs or external entities"), "{err}");
    // Without the DOCTYPE, the undeclared entity is refused where it is used.
    let bare = dir.path().join("bare.xml");
    let body = std::fs::read_to_string(&xxe)
        .unwrap()
        .replace(&format!("<!DOCTYPE disqus [<!ENTITY xxe SYSTEM \"file://{}\">]>\n", secret.display()), "");
    std::fs::write(&bare, body).unwrap();
    let err = refused(&db, &["disqus", &bare.to_string_lossy()]);
    assert!(err.contains("line 4") && err.contains("unrecognized entity"), "{err}");

    let app = serve(&db, &[]).await;
    let threads = civil::services::embeds::threads(&app.app, civil::services::Actor::Operator).await.unwrap();
    assert!(threads.is_empty(), "nothing was written");
}

#[tokio::test]
async fn url_maps_move_threads_and_land_comments_on_civil_articles() {
    let db = fresh();
    ok(&civil(
        &db,
        &["article", "create", "--slug", "hello", "--title", "Hello on Civil", "--author", "Sam", "--publish"],
        "Welcome.\n",
    ));
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("map.csv");
    std::fs::write(&map, "old,new\nhttp://localhost:4000/blog/,https://new.example/posts/\n").unwrap();
    let (report, _) = import(
        &db,
        &[
            "disqus",
            "--map-url",
            "http://example.org/=http://127.0.0.1:8080/articles/hello",
            "--map-file",
            &map.to_string_lossy(),
            &fixture("isso-disqus.xml"),
        ],
    );
    assert!(report.contains("Threads: 1 new, 1 already here"), "{report}");
    let listed = ok(&civil(&db, &["article", "list"], ""));
    let hello = listed.lines().find(|l| l.contains(" hello ")).expect("the Civil article");
    assert!(hello.contains("3 comments"), "the article's count includes the imported comments: {hello}");

    let app = serve(&db, &["https://new.example"]).await;
    let anon = app.client();
    assert_eq!(thread(&anon, "hello").await.len(), 4, "the comments landed on the Civil article");
    assert_eq!(counts(&anon, &["https://new.example/posts/2013/02/12/redacted/index.html"]).await, vec![1]);
    let page = anon.get("/articles/hello").await;
    page.assert_contains("Hello, World.");
}

#[tokio::test]
async fn imported_authors_claim_their_account_with_a_password_reset() {
    let db = fresh();
    import(&db, &["disqus", &fixture("isso-disqus.xml")]);
    let app = serve(&db, &["http://example.org"]).await;
    let mut anon = app.client();
    anon.fetch_csrf().await;
    // The account exists, with no password: signing in by its name says how to claim it.
    let tried = anon.api_post("/api/v1/session", serde_json::json!({"login": "peter", "password": PASSWORD})).await;
    assert_eq!(tried.status, StatusCode::FORBIDDEN, "{}", tried.body);
    assert!(tried.body.to_string().contains("password reset"), "{}", tried.body);
    let by_address =
        anon.api_post("/api/v1/session", serde_json::json!({"login": "foo@bar.com", "password": PASSWORD})).await;
    assert_eq!(by_address.status, StatusCode::UNAUTHORIZED, "an address gives nothing away: {}", by_address.body);

    anon.submit("/password/forgot", "/password/forgot", &[("email", "foo@bar.com")]).await;
    app.deliver().await;
    let link = app.smtp.to("foo@bar.com").last().unwrap().link("/password/reset/").expect("reset link");
    let reset = link.split_once("://").map(|(_, r)| &r[r.find('/').unwrap()..]).unwrap().to_owned();
    let form = anon.get(&reset).await;
    let done = anon.post_form(&reset, &[("csrf_token", &form.csrf()), ("password", "a brand new passphrase")]).await;
    assert!(done.status.is_success() || done.status.is_redirection(), "{}", done.text);
    let mut claimed = app.client();
    claimed.sign_in("peter", "a brand new passphrase").await;
    let profile = app.client().get("/users/peter").await;
    profile.assert_contains("Hello, World.");
}
