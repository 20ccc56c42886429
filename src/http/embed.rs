//! Civil's discussion on a publisher's pages: `GET /embed/thread?url=` answers the whole
//! discussion block as an HTML fragment, which a CMS includes in the page it renders (so the
//! discussion is real HTML for readers without JavaScript and for search engines) and a script
//! can fetch. The first view of an article on an allowed site creates its thread.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::cache::Links;
use super::extract::Viewer;
use super::pages::articles::Draft;
use super::pages::{render, PageResult};
use super::State;
use crate::domain::canonical_url::Origin;
use crate::error::Error;
use crate::services::embeds;
use crate::services::threads::ThreadQuery;
use crate::views::article::{discussion, CommentFormState, Discussion};

#[derive(Debug, Deserialize)]
pub struct EmbedQuery {
    url: Option<String>,
    title: Option<String>,
    sort: Option<String>,
}

pub async fn thread(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    query: web::Query<EmbedQuery>,
) -> PageResult {
    let url = query
        .url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| Error::BadRequest("Give the article's address: /embed/thread?url=https://…".into()))?;
    let article = embeds::thread_for(&state.app, url, query.title.as_deref()).await?;
    let thread_query = ThreadQuery::parse(query.sort.as_deref(), None, None)?;
    let sort = thread_query.sort;
    let csrf_token = viewer.csrf_token();
    let draft = Draft { body: String::new(), error: None, parent_id: None, flagged: None };
    let thread =
        super::thread::markup(&state, &viewer, &csrf_token, &article, thread_query, &draft, Links::Absolute).await?;
    let user = viewer.user();
    let now = state.app.clock.now();
    let block = Discussion {
        is_staff: user.is_some_and(|u| u.is_staff()),
        restriction: user.and_then(|u| u.restriction(now)),
        article: &article,
        sort,
        thread: &thread,
        form: CommentFormState { body: "", error: None },
        base: &state.app.settings.base_url,
        return_to: article.canonical_url.as_deref(),
        next: &format!("/articles/{}", article.slug),
    };
    let markup = discussion(&csrf_token, user.is_some(), &block);
    let mut response = render(&viewer, StatusCode::OK, markup);
    allow_origin(&state, &req, &mut response).await?;
    Ok(response)
}

/// Let a page on an allowed site read this response from a script. Without credentials: the
/// browser sends no cookies with such a request and will not hand a reply to one that has
/// them, so what crosses is what anonymous readers see.
pub async fn allow_origin(state: &State, req: &HttpRequest, response: &mut HttpResponse) -> Result<(), Error> {
    response.headers_mut().append(header::VARY, HeaderValue::from_static("Origin"));
    let Some(origin) = req.headers().get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return Ok(());
    };
    let Ok(origin) = Origin::parse(origin) else { return Ok(()) };
    if embeds::is_allowed(&state.app, &origin).await? {
        let value = HeaderValue::from_str(origin.as_str()).map_err(Error::internal)?;
        response.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    }
    Ok(())
}
