use actix_web::{web, HttpResponse};

use super::types::{ArticleJson, ArticleList, ArticleRequest, ErrorBody};
use super::{ApiResult, JsonObject};
use crate::http::extract::{Csrf, Viewer};
use crate::http::State;
use crate::services::articles::{self, ArticleForm};

/// Published articles, newest first.
#[utoipa::path(get, path = "/api/v1/articles", tag = "articles", operation_id = "list_articles",
    responses((status = 200, description = "Published articles", body = ArticleList)))]
pub async fn list(state: web::Data<State>) -> ApiResult {
    let base = &state.app.settings.base_url;
    let list = articles::list_published(&state.app, 100).await?;
    Ok(HttpResponse::Ok().json(ArticleList { articles: list.iter().map(|a| ArticleJson::new(a, base)).collect() }))
}

/// One published article (admins also see drafts).
#[utoipa::path(get, path = "/api/v1/articles/{slug}", tag = "articles", operation_id = "show_article",
    security((), ("session" = [])),
    params(("slug" = String, Path, pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 100)),
    responses((status = 200, description = "The article", body = ArticleJson),
        (status = 404, description = "No published article has this slug", body = ErrorBody)))]
pub async fn show(state: web::Data<State>, viewer: Viewer, slug: web::Path<String>) -> ApiResult {
    let article = articles::find_by_slug(&state.app, slug.into_inner(), viewer.is_admin()).await?;
    Ok(HttpResponse::Ok().json(ArticleJson::new(&article, &state.app.settings.base_url)))
}

/// Create an article (admins only).
#[utoipa::path(post, path = "/api/v1/articles", tag = "articles", operation_id = "create_article", request_body = ArticleRequest,
    params(("X-CSRF-Token" = String, Header, description = "The csrf_token from GET /api/v1/session")),
    security(("session" = [])),
    responses(
        (status = 201, description = "Created", body = ArticleJson),
        (status = 403, description = "Not an admin, or the CSRF token is missing or wrong", body = ErrorBody),
        (status = 409, description = "Slug taken", body = ErrorBody),
        (status = 422, description = "A field is not valid: see `field`", body = ErrorBody)))]
pub async fn create(
    state: web::Data<State>,
    viewer: Viewer,
    Csrf(body): Csrf<JsonObject<ArticleRequest>>,
) -> ApiResult {
    let admin = viewer.require_user()?;
    let body = body.into_inner();
    let form = ArticleForm {
        slug: body.slug,
        title: body.title,
        summary: body.summary,
        body: body.body,
        author_name: body.author_name,
        comments_open: body.comments_open,
    };
    let article = articles::create(&state.app, admin.into(), form, body.published).await?;
    Ok(HttpResponse::Created().json(ArticleJson::new(&article, &state.app.settings.base_url)))
}
