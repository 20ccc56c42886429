//! `POST /api/v1/preview`: what posting a body would do, for the live notice under the comment
//! forms. The masking, rendering and policy are the post's own (`services::comments::preview`).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::types::{fields, ErrorBody, HeldJson};
use super::{ApiResult, JsonObject};
use crate::http::extract::{Csrf, Viewer};
use crate::http::State;
use crate::services::comments::{self, PreviewOutcome};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    /// The draft as typed. Empty or too long is answered with the refusal a post would get.
    #[schema(schema_with = fields::preview_body)]
    pub body: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewJson {
    /// The HTML readers would see, masked and sanitised; empty when the body is refused before
    /// it is read (empty, or too long).
    #[schema(example = "<p>What a f****** mess</p>")]
    pub html: String,
    /// The words that will be masked, as written, each once.
    #[schema(example = json!(["fucking"]))]
    pub masked: Vec<String>,
    /// Each of `masked` as readers will see it.
    #[schema(example = json!(["f******"]))]
    pub masked_as: Vec<String>,
    /// The markdown as typed with the masked words masked.
    #[schema(example = "What a f****** mess")]
    pub masked_text: String,
    /// What posting it would do: `publish`, `hold` (for a moderator; see `held`) or `refuse`
    /// (see `message`). Posting can still meet what a preview cannot know: a closed
    /// discussion, or the posting interval.
    #[schema(example = "publish")]
    pub outcome: String,
    /// Why a post would be refused, as the post would be told.
    pub message: Option<String>,
    /// Why a post would wait for a moderator, and what happens next.
    pub held: Option<HeldJson>,
}

/// Preview a comment: the masked, rendered HTML, the words that will be masked, and what
/// posting it would do. Nothing is written.
#[utoipa::path(post, path = "/api/v1/preview", tag = "comments", operation_id = "preview_comment", request_body = PreviewRequest,
    params(("X-CSRF-Token" = String, Header, description = "The csrf_token from GET /api/v1/session")),
    security(("session" = [])),
    responses((status = 200, description = "What posting this body would do", body = PreviewJson),
        (status = 403, description = "Suspended or banned, or the CSRF token is missing or wrong", body = ErrorBody),
        (status = 429, description = "More than 60 previews a minute", body = ErrorBody)))]
pub async fn preview(
    state: web::Data<State>,
    viewer: Viewer,
    Csrf(body): Csrf<JsonObject<PreviewRequest>>,
) -> ApiResult {
    let user = viewer.require_user()?;
    let preview = comments::preview(&state.app, user, &body.body).await?;
    let (outcome, message, held) = match &preview.outcome {
        PreviewOutcome::Publish => ("publish", None, None),
        PreviewOutcome::Hold(notice) => ("hold", None, Some(HeldJson::from(notice))),
        PreviewOutcome::Refuse(message) => ("refuse", Some(message.clone()), None),
    };
    Ok(HttpResponse::Ok().json(PreviewJson {
        html: preview.html,
        masked: preview.masked,
        masked_as: preview.masked_as,
        masked_text: preview.masked_text,
        outcome: outcome.to_owned(),
        message,
        held,
    }))
}
