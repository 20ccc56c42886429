//! Admin pages for embedding (`views::admin_embeds`): allowed sites and external threads.

use actix_web::{web, HttpRequest};
use serde::Deserialize;

use super::{context, render, render_failed, see_other, PageResult};
use crate::error::Error;
use crate::http::extract::{Csrf, CsrfDraft, Viewer};
use crate::http::State;
use crate::services::embeds;
use crate::views::admin_embeds as view;
use crate::views::components::FormErrors;

async fn sites_page(state: &State, viewer: &mut Viewer, req: &HttpRequest, error: Option<Error>) -> PageResult {
    let sites = embeds::sites(&state.app).await?;
    let ctx = context(state, viewer, req);
    Ok(match error {
        None => render(viewer, actix_web::http::StatusCode::OK, view::sites(&ctx, &sites, &FormErrors::none())),
        Some(error) => render_failed(viewer, &error, view::sites(&ctx, &sites, &FormErrors::from_error(&error))),
    })
}

pub async fn sites(state: web::Data<State>, mut viewer: Viewer, req: HttpRequest) -> PageResult {
    viewer.require_user()?;
    sites_page(&state, &mut viewer, &req, None).await
}

#[derive(Debug, Deserialize)]
pub struct SiteForm {
    #[serde(default)]
    origin: String,
    #[serde(default)]
    params: String,
}

pub async fn add_site(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    form: CsrfDraft<SiteForm>,
) -> PageResult {
    let (form, checked) = form.into_parts();
    let admin = viewer.require_user()?.clone();
    let result = async {
        checked?;
        embeds::add_site(&state.app, (&admin).into(), &form.origin, &form.params).await
    }
    .await;
    match result {
        Ok(()) => Ok(see_other("/admin/sites")),
        Err(error) => sites_page(&state, &mut viewer, &req, Some(error)).await,
    }
}

pub async fn remove_site(state: web::Data<State>, viewer: Viewer, id: web::Path<i64>, _: Csrf) -> PageResult {
    let admin = viewer.require_user()?.clone();
    embeds::remove_site(&state.app, (&admin).into(), id.into_inner()).await?;
    Ok(see_other("/admin/sites"))
}

async fn threads_page(state: &State, viewer: &mut Viewer, req: &HttpRequest, error: Option<Error>) -> PageResult {
    let admin = viewer.require_user()?.clone();
    let threads = embeds::threads(&state.app, (&admin).into()).await?;
    let ctx = context(state, viewer, req);
    Ok(match error {
        None => render(viewer, actix_web::http::StatusCode::OK, view::threads(&ctx, &threads, &FormErrors::none())),
        Some(error) => render_failed(viewer, &error, view::threads(&ctx, &threads, &FormErrors::from_error(&error))),
    })
}

pub async fn threads(state: web::Data<State>, mut viewer: Viewer, req: HttpRequest) -> PageResult {
    threads_page(&state, &mut viewer, &req, None).await
}

#[derive(Debug, Deserialize)]
pub struct ThreadForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    url: String,
    into: Option<String>,
}

/// `/admin/threads/{id}/{action}`: rename, move or merge.
pub async fn change_thread(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    path: web::Path<(i64, String)>,
    form: CsrfDraft<ThreadForm>,
) -> PageResult {
    let (id, action) = path.into_inner();
    let (form, checked) = form.into_parts();
    let admin = viewer.require_user()?.clone();
    let result = async {
        checked?;
        let by = (&admin).into();
        match action.as_str() {
            "rename" => embeds::rename(&state.app, by, id, &form.title).await,
            "move" => embeds::move_to(&state.app, by, id, &form.url).await,
            "merge" => {
                let into =
                    form.into.as_deref().and_then(|i| i.trim().parse::<i64>().ok()).ok_or_else(|| {
                        crate::domain::Invalid::new("into", "Choose the thread to merge this one into.")
                    })?;
                embeds::merge(&state.app, by, id, into).await.map(|_| ())
            }
            _ => Err(Error::NotFound("There is no such thread action.".into())),
        }
    }
    .await;
    match result {
        Ok(()) => Ok(see_other("/admin/threads")),
        Err(error @ Error::NotFound(_)) => Err(error.into()),
        Err(error) => threads_page(&state, &mut viewer, &req, Some(error)).await,
    }
}
