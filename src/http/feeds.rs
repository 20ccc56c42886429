//! The Atom feeds: one per thread (`/articles/{slug}/comments.atom`) and one for the whole site
//! (`/comments.atom`). They are the same for every reader, so they carry an `ETag` and
//! `Cache-Control: no-cache`: a feed reader that polls with `If-None-Match` gets a bodiless
//! 304 while nothing changed, and never an entry a moderator has since removed.

use actix_web::http::header::{self, EntityTag, Header, IfNoneMatch};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::errors::HttpError;
use super::State;
use crate::error::Error;
use crate::services::articles::{self, Article};
use crate::services::embeds;
use crate::services::feeds;
use crate::views::feed::{atom, FeedView, CONTENT_TYPE};

/// Bump when the XML changes shape, so readers holding an old `ETag` get the new feed.
const FORMAT: &str = "atom-1";

/// `/articles/{slug}/comments.atom`
pub async fn article_feed(
    state: web::Data<State>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, HttpError> {
    let article = articles::find_by_slug(&state.app, slug.into_inner(), false).await?;
    let base = &state.app.settings.base_url;
    let alternate_url = format!("{base}/articles/{}", article.slug);
    let self_url = format!("{alternate_url}/comments.atom");
    thread_feed(&state, &req, &article, &self_url, &alternate_url).await
}

/// `/embed/comments.atom?url=`: the feed of an external thread, found by the article's
/// address as the publisher gives it. The alternate link is the publisher's page, where the
/// discussion is read; the feed's own address uses the normalised one, so every spelling of
/// the article's address names the same feed.
pub async fn embed_feed(
    state: web::Data<State>,
    req: HttpRequest,
    query: web::Query<EmbedFeedQuery>,
) -> Result<HttpResponse, HttpError> {
    let url =
        query.url.as_deref().filter(|u| !u.trim().is_empty()).ok_or_else(|| {
            Error::BadRequest("Give the article's address: /embed/comments.atom?url=https://…".into())
        })?;
    let article = embeds::existing_thread(&state.app, url).await?;
    let canonical = article.canonical_url.clone().ok_or_else(|| Error::not_found("That thread"))?;
    let self_url =
        format!("{}/embed/comments.atom?url={}", state.app.settings.base_url, urlencoding::encode(&canonical));
    thread_feed(&state, &req, &article, &self_url, &canonical).await
}

#[derive(Debug, Deserialize)]
pub struct EmbedFeedQuery {
    url: Option<String>,
}

/// The feed of one thread, for any article row: Civil's own articles above, and external
/// threads (`embed_feed` above, the alternate link being the publisher's page). Every change to a discussion moves the article's comment version, so the
/// version names the feed's content and a poll that has it costs one article lookup.
pub async fn thread_feed(
    state: &State,
    req: &HttpRequest,
    article: &Article,
    self_url: &str,
    alternate_url: &str,
) -> Result<HttpResponse, HttpError> {
    let settings = &state.app.settings;
    let tag = entity_tag(&[
        FORMAT,
        &article.id.to_string(),
        &article.comment_version.to_string(),
        self_url,
        alternate_url,
        &settings.base_url,
    ]);
    if already_has(req, &tag) {
        return Ok(not_modified(tag));
    }
    let entries = feeds::for_article(&state.app, article).await?;
    let title = format!("{}: comments", article.title);
    let view = FeedView {
        id: self_url,
        title: &title,
        self_url,
        alternate_url,
        base_url: &settings.base_url,
        name_articles: false,
        empty_updated: article.published_at.unwrap_or(article.created_at),
    };
    Ok(feed_response(tag, atom(&view, &entries)))
}

/// `/comments.atom`: the latest comments on the whole site. No single version covers every
/// thread, so the `ETag` is the body's digest: a poll still runs the one bounded query, but
/// an unchanged feed is not sent again.
pub async fn site_feed(state: web::Data<State>, req: HttpRequest) -> Result<HttpResponse, HttpError> {
    let entries = feeds::for_site(&state.app).await?;
    let settings = &state.app.settings;
    let base = &settings.base_url;
    let self_url = format!("{base}/comments.atom");
    let alternate_url = format!("{base}/");
    let title = format!("{}: latest comments", settings.site_name);
    let view = FeedView {
        id: &self_url,
        title: &title,
        self_url: &self_url,
        alternate_url: &alternate_url,
        base_url: base,
        name_articles: true,
        empty_updated: chrono::DateTime::UNIX_EPOCH.naive_utc(),
    };
    let xml = atom(&view, &entries);
    let tag = entity_tag(&[FORMAT, &xml]);
    if already_has(&req, &tag) {
        return Ok(not_modified(tag));
    }
    Ok(feed_response(tag, xml))
}

fn entity_tag(parts: &[&str]) -> EntityTag {
    let mut digest = Sha256::new();
    for part in parts {
        // Length-prefixed, so no two lists of parts hash alike.
        digest.update((part.len() as u64).to_be_bytes());
        digest.update(part.as_bytes());
    }
    let hex: String = digest.finalize()[..16].iter().map(|b| format!("{b:02x}")).collect();
    EntityTag::new_strong(hex)
}

fn already_has(req: &HttpRequest, tag: &EntityTag) -> bool {
    match IfNoneMatch::parse(req) {
        Ok(IfNoneMatch::Any) => true,
        Ok(IfNoneMatch::Items(tags)) => tags.iter().any(|t| t.weak_eq(tag)),
        Err(_) => false,
    }
}

fn not_modified(tag: EntityTag) -> HttpResponse {
    HttpResponse::NotModified()
        .insert_header(header::ETag(tag))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .finish()
}

fn feed_response(tag: EntityTag, xml: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .insert_header(header::ETag(tag))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(xml)
}
