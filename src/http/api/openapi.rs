use actix_web::HttpResponse;
use utoipa::OpenApi;

use super::moderation::*;
use super::types::*;
use super::{accounts, articles, comments, moderation};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Civil API",
        description = "Comments, accounts and articles. Unsafe methods need the session cookie, an X-CSRF-Token header and a JSON body. Errors are {\"error\": {\"code\", \"message\"}}."
    ),
    paths(
        accounts::create_account,
        accounts::get_session,
        accounts::create_session,
        accounts::delete_session,
        articles::list,
        articles::show,
        articles::create,
        comments::list,
        comments::create,
        comments::edit,
        comments::delete,
        comments::vote,
        moderation::flag,
        moderation::queue,
        moderation::queue_counts,
        moderation::act_on_comment,
        moderation::act_on_user,
        moderation::log,
    ),
    components(schemas(
        ErrorBody,
        ErrorDetail,
        AccountRequest,
        SessionRequest,
        SessionResponse,
        UserJson,
        ArticleRequest,
        ArticleJson,
        ArticleList,
        AuthorJson,
        CommentJson,
        CommentsPage,
        NewCommentRequest,
        EditCommentRequest,
        VoteRequest,
        VoteResponse,
        FlagRequest,
        FlagResponse,
        QueueCounts,
        QueueFlagJson,
        QueueItemJson,
        QueueAuthorJson,
        QueueJson,
        ModerationRequest,
        ActionResponse,
        UserActionRequest,
        LogEntryJson,
        LogJson,
    ))
)]
pub struct ApiDoc;

pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
