use civil::domain::role::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

fn article_json(slug: &str, published: bool) -> serde_json::Value {
    json!({"slug": slug, "title": format!("About {slug}"), "summary": "Short.", "body": "Body *text*.", "author_name": "Jo", "published": published})
}

#[tokio::test]
async fn admins_create_articles_through_the_api_and_others_cannot() {
    let app = spawn().await;
    let admin = app.signed_in("chief", Role::Admin).await;
    let reader = app.reader("ada").await;
    let mut anonymous = app.client();
    anonymous.fetch_csrf().await;

    assert_eq!(anonymous.api_post("/api/v1/articles", article_json("a", true)).await.status, StatusCode::UNAUTHORIZED);
    let refused = reader.api_post("/api/v1/articles", article_json("a", true)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.error_code(), "forbidden");

    let created = admin.api_post("/api/v1/articles", article_json("council-budget", true)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["slug"], "council-budget");
    assert!(created.body["body_html"].as_str().unwrap().contains("<em>text</em>"));

    let again = admin.api_post("/api/v1/articles", article_json("council-budget", true)).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let bad = admin.api_post("/api/v1/articles", article_json("Not A Slug", true)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["error"]["field"], "slug");
}

#[tokio::test]
async fn drafts_stay_hidden_until_published() {
    let app = spawn().await;
    let admin = app.signed_in("chief", Role::Admin).await;
    admin.api_post("/api/v1/articles", article_json("draft-story", false)).await;
    let public = app.client();
    assert_eq!(public.get("/articles/draft-story").await.status, StatusCode::NOT_FOUND);
    assert_eq!(public.api_get("/api/v1/articles/draft-story").await.status, StatusCode::NOT_FOUND);
    public.get("/").await.assert_lacks("draft-story");
    let preview = admin.get("/articles/draft-story").await;
    assert_eq!(preview.status, StatusCode::OK);
    preview.assert_contains("Draft");

    let dashboard = admin.get("/admin").await;
    let article = civil::services::articles::find_by_slug(&app.app, "draft-story".into(), true).await.unwrap();
    dashboard.assert_contains(&format!("/admin/articles/{}/publish", article.id));
    let published = admin.submit("/admin", &format!("/admin/articles/{}/publish", article.id), &[]).await;
    assert_eq!(published.status, StatusCode::SEE_OTHER);
    assert_eq!(public.get("/articles/draft-story").await.status, StatusCode::OK);
    let unpublished = admin.submit("/admin", &format!("/admin/articles/{}/unpublish", article.id), &[]).await;
    assert_eq!(unpublished.status, StatusCode::SEE_OTHER);
    assert_eq!(public.get("/articles/draft-story").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn admins_create_and_edit_articles_in_the_ui() {
    let app = spawn().await;
    let admin = app.signed_in("chief", Role::Admin).await;
    let created = admin
        .submit(
            "/admin/articles/new",
            "/admin/articles",
            &[
                ("title", "Flood defences approved"),
                ("slug", ""),
                ("author_name", "Sam"),
                ("summary", "After a long debate."),
                ("body", "## Background\n\nText."),
                ("comments_open", "on"),
                ("publish", "on"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text);
    assert_eq!(created.location(), "/articles/flood-defences-approved");
    let article =
        civil::services::articles::find_by_slug(&app.app, "flood-defences-approved".into(), true).await.unwrap();
    let edit_page = admin.get(&format!("/admin/articles/{}/edit", article.id)).await;
    edit_page.assert_contains("Flood defences approved");
    let updated = admin
        .submit(
            "/admin",
            &format!("/admin/articles/{}", article.id),
            &[
                ("title", "Flood defences approved at last"),
                ("slug", "flood-defences"),
                ("author_name", "Sam"),
                ("summary", ""),
                ("body", "Text."),
            ],
        )
        .await;
    assert_eq!(updated.status, StatusCode::SEE_OTHER, "{}", updated.text);
    let page = app.client().get("/articles/flood-defences").await;
    page.assert_contains("Flood defences approved at last");
    page.assert_contains("The discussion on this article is closed.");

    let invalid = admin
        .submit(
            "/admin/articles/new",
            "/admin/articles",
            &[("title", ""), ("slug", "x"), ("author_name", "Sam"), ("body", "B")],
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    invalid.assert_contains("Enter the title.");
    assert_eq!(app.reader("ada").await.get("/admin/articles/new").await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.client().get("/admin").await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_home_page_lists_published_articles_newest_first_with_their_discussion() {
    let app = spawn().await;
    app.article("older").await;
    app.article("newer").await;
    let reader = app.reader("ada").await;
    reader.comment("older", "First!").await;
    let home = app.client().get("/").await;
    let (newer, older) = (home.text.find("/articles/newer").unwrap(), home.text.find("/articles/older").unwrap());
    assert!(newer < older);
    home.assert_contains("Discussion (1)");
    home.assert_contains("Discussion (0)");
    home.assert_contains("Join the Conversation");
    let list = app.client().api_get("/api/v1/articles").await;
    assert_eq!(list.body["articles"][0]["slug"], "newer");
    assert_eq!(list.body["articles"][1]["comment_count"], 1);
}

#[tokio::test]
async fn the_article_page_lays_out_the_discussion() {
    let app = spawn().await;
    app.article("budget").await;
    let page = app.client().get("/articles/budget").await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "Title of budget",
        "<strong>markdown</strong>",
        "Discussion (0)",
        "Profanity is auto-masked. Be civil.",
        "Be the first to comment.",
        "Leave a Comment",
        "/signin?next=%2Farticles%2Fbudget%23comment-form",
        "/register?next=%2Farticles%2Fbudget%23comment-form",
        "Join the Conversation",
    ] {
        page.assert_contains(text);
    }
    page.assert_lacks("<textarea");
    let signed_in = app.reader("ada").await.get("/articles/budget").await;
    signed_in.assert_contains("<textarea");
}

#[tokio::test]
async fn unknown_pages_get_a_proper_404() {
    let app = spawn().await;
    let client = app.client();
    for path in ["/articles/nope", "/nowhere", "/comments/999"] {
        let page = client.get(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        page.assert_contains("<h1>Not found</h1>");
        page.assert_contains("Civil");
    }
    let api = client.api_get("/api/v1/articles/nope").await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert_eq!(api.error_code(), "not_found");
    assert_eq!(client.api_get("/api/v1/nothing").await.error_code(), "not_found");
}

#[tokio::test]
async fn health_reports_the_database() {
    let app = spawn().await;
    let health = app.client().get("/healthz").await;
    assert_eq!(health.status, StatusCode::OK);
    if !app.db.is_postgres() {
        eprintln!("skipped the outage half: an embedded SQLite file cannot be taken away from a running server");
        return;
    }
    app.db.drop_now();
    let health = app.client().get("/healthz").await;
    assert_eq!(health.status, StatusCode::SERVICE_UNAVAILABLE);
}
