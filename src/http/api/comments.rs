use std::sync::Arc;

use actix_web::http::header::{self, ContentEncoding, ContentType};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::shared::SharedThread;
use super::types::{
    fields, CommentJson, CommentsPage, EditCommentRequest, ErrorBody, NewCommentRequest, Personal, VoteRequest,
    VoteResponse,
};
use super::{ApiResult, JsonObject};
use crate::domain::Invalid;
use crate::error::Error;
use crate::http::cache::ApiKey;
use crate::http::compress;
use crate::http::extract::{Csrf, Viewer};
use crate::http::State;
use crate::services::articles::{self, Article};
use crate::services::comments;
use crate::services::threads::{self, ThreadQuery};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CommentsQuery {
    /// `oldest` (default), `newest` or `top`.
    #[param(schema_with = fields::sort)]
    sort: Option<String>,
    /// The `next_cursor` of the previous page.
    #[param(schema_with = fields::thread_cursor)]
    after: Option<String>,
    /// Top-level comments per page, 1 to 200 (default 50). Each comes with all its replies.
    #[param(schema_with = fields::page_limit)]
    limit: Option<i64>,
}

/// A page of the thread, nested, with the total and the next cursor.
#[utoipa::path(get, path = "/api/v1/articles/{slug}/comments", tag = "comments", operation_id = "list_comments",
    security((), ("session" = [])),
    params(("slug" = String, Path, pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 100), CommentsQuery),
    responses((status = 200, description = "One page of the thread", body = CommentsPage),
        (status = 404, description = "No such article", body = ErrorBody),
        (status = 422, description = "The cursor does not fit the sort order (`top` cursors are `score_id`, the others an id)", body = ErrorBody)))]
pub async fn list(
    state: web::Data<State>,
    req: HttpRequest,
    viewer: Viewer,
    slug: web::Path<String>,
    query: web::Query<CommentsQuery>,
) -> ApiResult {
    let thread_query = ThreadQuery::parse(query.sort.as_deref(), query.after.as_deref(), query.limit)?;
    let (sort, after, limit) = (thread_query.sort, thread_query.after, thread_query.limit);
    let Some(user) = viewer.user() else {
        // An anonymous request reads the article alone.
        let article = articles::find_by_slug(&state.app, slug.into_inner(), false).await?;
        let at = ApiKey { article_id: article.id, sort, after, limit };
        let shared = shared_thread(&state, at, article.comment_version, article, thread_query).await?;
        return Ok(shared.body().respond(&req, json_ok()));
    };
    // A signed-in one reads their marks with it, in the same trip (with the page's order and
    // live start, which it does not need).
    let (article, _, reading) =
        threads::article_for_reader(&state.app, slug.into_inner(), viewer.is_admin(), user.id).await?;
    let version = article.comment_version;
    let at = ApiKey { article_id: article.id, sort, after, limit };
    let now = state.app.clock.now();
    let editable_after = user
        .restriction(now)
        .is_none()
        .then(|| now - chrono::Duration::minutes(state.app.settings.edit_window_minutes));
    let own = reading.marks;
    let holds_pending = own.holds_pending();
    let personal = Personal::of(user.id, own.voted, editable_after);
    // Moderators see every held comment in place, and an author their own: a thread of theirs.
    if user.is_staff() || holds_pending {
        let reader = threads::Reader::for_account(user.id, user.is_staff());
        let page = threads::page(&state.app, article, thread_query, reader).await?;
        return Ok(json(CommentsPage::new(&page, sort, &personal).to_json()));
    }
    let shared = shared_thread(&state, at, version, article, thread_query).await?;
    if let Some(body) = compress::accepts_gzip(&req).then(|| shared.personal_gzip(&personal)).flatten() {
        return Ok(HttpResponse::Ok()
            .content_type(ContentType::json())
            .insert_header(ContentEncoding::Gzip)
            .insert_header((header::VARY, "Accept-Encoding"))
            .body(body));
    }
    Ok(match shared.personal(&personal) {
        Some(body) => json(body),
        None => shared.body().respond(&req, json_ok()),
    })
}

/// A 200 that says it is JSON, for a body kept ready in every encoding.
fn json_ok() -> actix_web::HttpResponseBuilder {
    let mut ok = HttpResponse::Ok();
    ok.content_type(ContentType::json());
    ok
}

/// The page of the thread everyone shares, from the cache or made (and kept, when the cursor
/// names a real comment: a made-up one gets its page, but no room in the cache).
async fn shared_thread(
    state: &State,
    at: ApiKey,
    version: i64,
    article: Article,
    query: ThreadQuery,
) -> Result<Arc<SharedThread>, Error> {
    let cached = state.thread_cache.get_api(at, version);
    state.app.metrics.cache(cached.is_some());
    if let Some(shared) = cached {
        return Ok(shared);
    }
    let page = threads::page(&state.app, article, query, threads::Reader::Anyone).await?;
    let shared = Arc::new(SharedThread::new(page, at.sort));
    if threads::is_known_page(&state.app, at.article_id, at.sort, at.after).await? {
        state.thread_cache.put_api(at, version, shared.clone());
    }
    Ok(shared)
}

fn json(body: actix_web::web::Bytes) -> HttpResponse {
    HttpResponse::Ok().content_type(ContentType::json()).body(body)
}

/// Post a comment, or a reply with `parent_id`.
#[utoipa::path(post, path = "/api/v1/articles/{slug}/comments", tag = "comments", operation_id = "post_comment", request_body = NewCommentRequest,
    params(("slug" = String, Path, pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 100), ("X-CSRF-Token" = String, Header, description = "The csrf_token from GET /api/v1/session")),
    security(("session" = [])),
    responses(
        (status = 201, description = "Posted (or held for review: see `status`)", body = CommentJson,
            headers(("Location" = String, description = "The comment's page"))),
        (status = 403, description = "Suspended or banned, or the CSRF token is missing or wrong", body = ErrorBody),
        (status = 404, description = "No such article", body = ErrorBody),
        (status = 409, description = "The discussion is closed, or (to an admin) the article is a draft", body = ErrorBody),
        (status = 422, description = "The body is refused by the moderation policy, or the parent is not a comment on this article", body = ErrorBody),
        (status = 429, description = "Posting too often", body = ErrorBody)))]
pub async fn create(
    state: web::Data<State>,
    viewer: Viewer,
    slug: web::Path<String>,
    Csrf(body): Csrf<JsonObject<NewCommentRequest>>,
) -> ApiResult {
    let user = viewer.require_user()?;
    let comment = comments::post(&state.app, user, slug.into_inner(), &body.body, body.parent_id).await?;
    Ok(HttpResponse::Created()
        .insert_header((actix_web::http::header::LOCATION, format!("/comments/{}", comment.id)))
        .json(CommentJson::just_written(&comment)))
}

/// Edit one's own comment, within the edit window.
#[utoipa::path(patch, path = "/api/v1/comments/{id}", tag = "comments", operation_id = "edit_comment", request_body = EditCommentRequest,
    params(("id" = i64, Path), ("X-CSRF-Token" = String, Header, description = "The csrf_token from GET /api/v1/session")),
    security(("session" = [])),
    responses((status = 200, description = "Edited", body = CommentJson),
        (status = 403, description = "Not yours, the edit window has passed, or the CSRF token is missing or wrong", body = ErrorBody),
        (status = 404, description = "No such comment", body = ErrorBody),
        (status = 422, description = "The body is refused by the moderation policy", body = ErrorBody),
        (status = 429, description = "Too soon after a comment or edit the policy refused", body = ErrorBody)))]
pub async fn edit(
    state: web::Data<State>,
    viewer: Viewer,
    id: web::Path<i64>,
    Csrf(body): Csrf<JsonObject<EditCommentRequest>>,
) -> ApiResult {
    let user = viewer.require_user()?;
    let comment = comments::edit(&state.app, user, id.into_inner(), &body.body).await?;
    Ok(HttpResponse::Ok().json(CommentJson::just_written(&comment)))
}

/// Delete one's own comment.
#[utoipa::path(delete, path = "/api/v1/comments/{id}", tag = "comments", operation_id = "delete_comment",
    params(("id" = i64, Path), ("X-CSRF-Token" = String, Header, description = "The csrf_token from GET /api/v1/session")),
    security(("session" = [])),
    responses((status = 204, description = "Deleted"),
        (status = 403, description = "Not yours, or the CSRF token is missing or wrong", body = ErrorBody),
        (status = 404, description = "No such comment", body = ErrorBody),
        (status = 409, description = "A moderator removed it: it stays removed", body = ErrorBody)))]
pub async fn delete(state: web::Data<State>, viewer: Viewer, _: Csrf, id: web::Path<i64>) -> ApiResult {
    let user = viewer.require_user()?;
    comments::delete(&state.app, user, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Upvote (`value: 1`) or take the vote back (`value: 0`).
#[utoipa::path(post, path = "/api/v1/comments/{id}/vote", tag = "comments", request_body = VoteRequest,
    params(("id" = i64, Path), ("X-CSRF-Token" = String, Header, description = "The csrf_token from GET /api/v1/session")),
    security(("session" = [])),
    responses((status = 200, description = "The new score", body = VoteResponse),
        (status = 403, description = "Your own comment, or the CSRF token is missing or wrong", body = ErrorBody),
        (status = 404, description = "No such comment", body = ErrorBody),
        (status = 422, description = "The value is neither 0 nor 1", body = ErrorBody),
        (status = 429, description = "Too many votes this minute", body = ErrorBody)))]
pub async fn vote(
    state: web::Data<State>,
    viewer: Viewer,
    id: web::Path<i64>,
    Csrf(body): Csrf<JsonObject<VoteRequest>>,
) -> ApiResult {
    let user = viewer.require_user()?;
    let up = match body.value {
        1 => true,
        0 => false,
        _ => return Err(Error::from(Invalid::new("value", "A vote is 1 (upvote) or 0 (take it back).")).into()),
    };
    let score = comments::vote(&state.app, user, id.into_inner(), up).await?;
    Ok(HttpResponse::Ok().json(VoteResponse { score, voted: up }))
}
