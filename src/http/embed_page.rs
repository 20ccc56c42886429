//! `GET /embed/discussion?url=[&title=]`: Civil's own page for a publisher's article, for links
//! that know only the article's address: the `<noscript>` link in the embed snippet, where the
//! script cannot run. It answers with a redirect to `/articles/{slug}`, which links back to the
//! article. Like the embed, it starts the thread on the first visit from an allowed site.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::errors::HttpError;
use super::State;
use crate::error::Error;
use crate::services::embeds;

#[derive(Debug, Deserialize)]
pub struct DiscussionQuery {
    url: Option<String>,
    title: Option<String>,
}

pub async fn discussion(
    state: web::Data<State>,
    req: HttpRequest,
    query: web::Query<DiscussionQuery>,
) -> Result<HttpResponse, HttpError> {
    let url = query
        .url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| Error::BadRequest("Give the article's address: /embed/discussion?url=https://…".into()))?;
    let article =
        embeds::thread_for(&state.app, url, query.title.as_deref(), &super::embed::requester(&state, &req)).await?;
    Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, format!("/articles/{}", article.slug))).finish())
}
