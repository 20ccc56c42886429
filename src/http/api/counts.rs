//! Comment counts for lists of articles on a publisher's site (`count.js` asks for every
//! `data-civil-count` on a page in one request).

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use super::types::fields;
use super::ApiResult;
use crate::http::embed::allow_origin;
use crate::http::State;
use crate::services::embeds;

/// The query, for the document: the handler reads the repeated `url` itself.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct CountsQuery {
    /// An article's address; repeat for up to 100 (`?url=A&url=B`).
    #[param(schema_with = fields::count_urls, explode = true)]
    url: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CountsJson {
    /// Each URL as it was asked for, with its number of published comments. Addresses Civil has
    /// no thread for, that are not on an allowed site or are not web addresses count 0.
    pub counts: BTreeMap<String, i64>,
}

/// Published-comment counts of external articles, by URL. Each URL is normalised as the embed
/// normalises it, so any spelling of an article's address finds its thread. Nothing is
/// created. The answer is the same for everyone: shared caches may keep it for a minute.
#[utoipa::path(get, path = "/api/v1/counts", tag = "embedding", operation_id = "comment_counts",
    params(CountsQuery),
    responses((status = 200, description = "The count for each URL asked for", body = CountsJson,
        headers(("Cache-Control" = String, description = "public, max-age=60")))))]
pub async fn counts(state: web::Data<State>, req: HttpRequest) -> ApiResult {
    let urls: Vec<String> = form_urlencoded::parse(req.query_string().as_bytes())
        .filter(|(name, _)| name == "url")
        .map(|(_, value)| value.into_owned())
        .collect();
    let counts = embeds::counts(&state.app, urls).await?;
    let mut response = HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .json(CountsJson { counts: counts.into_iter().collect() });
    allow_origin(&state, &req, &mut response).await?;
    Ok(response)
}
