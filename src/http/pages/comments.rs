use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use serde::Deserialize;

use super::articles::{reshow_with_error, Draft};
use super::{context, render, render_failed, see_other, PageResult};
use crate::domain::account::User;
use crate::error::Error;
use crate::http::extract::{Csrf, CsrfDraft, Viewer};
use crate::http::State;
use crate::services::threads::ThreadQuery;
use crate::services::{comments, threads};
use crate::views::account::edit_comment;
use crate::views::components::FormErrors;
use crate::views::thread::{Landed, Landing};

/// The page of the thread a reader acted from: its order and where it starts, from the hidden
/// fields of the form (or the query of a link). A cursor that does not parse is the first page.
pub(crate) async fn reading(state: &State, sort: Option<&str>, after: Option<&str>) -> Result<ThreadQuery, Error> {
    let default_sort = threads::default_sort(&state.app).await?;
    Ok(ThreadQuery::parse_or(sort, after, default_sort)
        .or_else(|_| ThreadQuery::parse_or(sort, None, default_sort))
        .unwrap_or_default())
}

/// Send the reader back to the page that shows the comment they acted on: theirs when it is
/// still there, with the result announced under the comment.
pub(crate) async fn land(
    state: &State,
    user: &User,
    id: i64,
    reading: &ThreadQuery,
    what: Landed,
) -> Result<actix_web::HttpResponse, Error> {
    let mark = format!("{}={id}", Landing::query_name(what));
    match threads::locate_in(
        &state.app,
        id,
        reading.sort,
        reading.after,
        threads::Reader::for_account(user.id, user.is_staff()),
    )
    .await
    {
        Ok(place) => Ok(see_other(&place.href(&mark, &format!("comment-{id}")))),
        // Gone from the thread (deleted with nothing under it): the reader's own page says so.
        Err(Error::NotFound(_)) if what == Landed::Deleted => {
            let slug = threads::article_slug_of(&state.app, id).await?;
            let place =
                threads::Place { slug, sort: reading.sort, page_after: reading.after.map(|c| c.encode(reading.sort)) };
            Ok(see_other(&place.href(&mark, "landed")))
        }
        Err(error) => Err(error),
    }
}

#[derive(Debug, Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    body: String,
    parent_id: Option<String>,
    sort: Option<String>,
    after: Option<String>,
    /// From an embedded form: the address of the external article to come back to.
    #[serde(rename = "return")]
    return_to: Option<String>,
}

pub async fn post(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    slug: web::Path<String>,
    form: CsrfDraft<CommentForm>,
) -> PageResult {
    let slug = slug.into_inner();
    let (form, checked) = form.into_parts();
    let parent_id = form.parent_id.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(str::parse::<i64>);
    let result = async {
        let user = viewer.require_user()?.clone();
        checked?;
        let parent_id = parent_id.clone().transpose().map_err(|_| {
            crate::domain::Invalid::new("parent_id", "The comment you are replying to is not on this article.")
        })?;
        comments::post(&state.app, &user, slug.clone(), &form.body, parent_id).await
    }
    .await;
    match result {
        Ok(comment) => {
            if let Some(back) = external_return(&state, &slug, form.return_to.as_deref()).await? {
                return Ok(see_other(&format!("{back}#comment-{}", comment.id)));
            }
            let user = viewer.require_user()?.clone();
            let reading = reading(&state, form.sort.as_deref(), form.after.as_deref()).await?;
            Ok(land(&state, &user, comment.id, &reading, Landed::Posted).await?)
        }
        Err(error) => {
            // The draft goes back into the form it came from, unless that form cannot be shown
            // (a bad parent), in which case it goes into the main form.
            let reply_form_shown = error.field() != Some("parent_id");
            let draft = Draft {
                body: form.body,
                error: Some(error.to_string()),
                parent_id: parent_id.and_then(Result::ok).filter(|_| reply_form_shown),
                ..Draft::default()
            };
            let (sort, after) = (form.sort.as_deref(), form.after.as_deref());
            reshow_with_error(&state, &mut viewer, &req, slug, sort, after, draft, error).await
        }
    }
}

/// Where a comment posted from an embed goes back to: the external article's own address,
/// and only that (read from the database, never taken from the form), so the form cannot send
/// readers anywhere else.
async fn external_return(state: &State, slug: &str, asked: Option<&str>) -> Result<Option<String>, Error> {
    let Some(asked) = asked.filter(|a| !a.is_empty()) else { return Ok(None) };
    let article = crate::services::articles::find_by_slug(&state.app, slug.to_owned(), false).await?;
    Ok(article.canonical_url.filter(|url| url == asked))
}

/// `/comments/{id}`: the permalink, which lands on the comment in its article.
pub async fn permalink(state: web::Data<State>, id: web::Path<i64>) -> PageResult {
    let id = id.into_inner();
    let place = threads::locate(&state.app, id).await?;
    // Located in the site's default order, which the page uses when the address names none:
    // the address stays short, and unchanged from earlier versions.
    let page = place.page_after.map(|after| format!("?after={after}")).unwrap_or_default();
    Ok(see_other(&format!("/articles/{}{page}#comment-{id}", place.slug)))
}

/// The page of the thread a link or form came from.
#[derive(Debug, Deserialize)]
pub struct ReadingQuery {
    sort: Option<String>,
    after: Option<String>,
}

pub async fn edit_form(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    id: web::Path<i64>,
    from: web::Query<ReadingQuery>,
) -> PageResult {
    let user = viewer.require_user()?.clone();
    let (comment, slug) = comments::for_editing(&state.app, &user, id.into_inner()).await?;
    let deadline = comments::edit_deadline(&state.app, comment.created_at);
    if state.app.clock.now() > deadline {
        return Err(Error::forbidden(format!(
            "Comments can be edited for {} minutes after posting, and that time has passed.",
            state.app.settings.edit_window_minutes
        ))
        .into());
    }
    let reading = reading(&state, from.sort.as_deref(), from.after.as_deref()).await?;
    let ctx = context(&state, &mut viewer, &req);
    let page = edit_comment(&ctx, comment.id, &slug, &comment.body_raw, deadline, &FormErrors::none(), &reading);
    Ok(render(&viewer, StatusCode::OK, page))
}

#[derive(Debug, Deserialize)]
pub struct EditForm {
    #[serde(default)]
    body: String,
    sort: Option<String>,
    after: Option<String>,
}

pub async fn edit(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    id: web::Path<i64>,
    form: CsrfDraft<EditForm>,
) -> PageResult {
    let (form, checked) = form.into_parts();
    let id = id.into_inner();
    let user = viewer.require_user()?.clone();
    let result = async {
        checked?;
        comments::edit(&state.app, &user, id, &form.body).await
    }
    .await;
    let reading = reading(&state, form.sort.as_deref(), form.after.as_deref()).await?;
    match result {
        Ok(_) => Ok(land(&state, &user, id, &reading, Landed::Edited).await?),
        Err(error) => {
            let (comment, slug) = comments::for_editing(&state.app, &user, id).await?;
            let deadline = comments::edit_deadline(&state.app, comment.created_at);
            let ctx = context(&state, &mut viewer, &req);
            let errors = FormErrors::from_error(&error);
            let page = edit_comment(&ctx, id, &slug, &form.body, deadline, &errors, &reading);
            Ok(render_failed(&viewer, &error, page))
        }
    }
}

pub async fn delete(
    state: web::Data<State>,
    viewer: Viewer,
    id: web::Path<i64>,
    Csrf(from): Csrf<web::Form<ReadingQuery>>,
) -> PageResult {
    let user = viewer.require_user()?.clone();
    let id = id.into_inner();
    comments::delete(&state.app, &user, id).await?;
    let reading = reading(&state, from.sort.as_deref(), from.after.as_deref()).await?;
    Ok(land(&state, &user, id, &reading, Landed::Deleted).await?)
}

#[derive(Debug, Deserialize)]
pub struct VoteForm {
    value: Option<String>,
    sort: Option<String>,
    after: Option<String>,
}

pub async fn vote(
    state: web::Data<State>,
    viewer: Viewer,
    id: web::Path<i64>,
    Csrf(form): Csrf<web::Form<VoteForm>>,
) -> PageResult {
    let user = viewer.require_user()?.clone();
    let up = match form.value.as_deref() {
        Some("1") => true,
        Some("0") => false,
        _ => return Err(crate::domain::Invalid::new("value", "A vote is 1 (upvote) or 0 (take it back).").into()),
    };
    let id = id.into_inner();
    comments::vote(&state.app, &user, id, up).await?;
    let reading = reading(&state, form.sort.as_deref(), form.after.as_deref()).await?;
    Ok(land(&state, &user, id, &reading, Landed::Voted).await?)
}
