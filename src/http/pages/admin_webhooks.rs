//! The admins' webhook endpoints: list, add, choose events, remove.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};

use super::{context, render, render_failed, see_other, PageResult};
use crate::http::extract::{Csrf, Viewer};
use crate::http::State;
use crate::services::webhooks::{self, Added};
use crate::services::Actor;
use crate::views::admin_webhooks::{self as view, NewEndpointForm};
use crate::views::components::FormErrors;

/// The events checkboxes repeat `events`, which the usual form extractor cannot collect.
fn parse_form(body: &[u8]) -> NewEndpointForm {
    let mut form = NewEndpointForm::default();
    for (key, value) in form_urlencoded::parse(body) {
        match key.as_ref() {
            "url" => form.url = value.into_owned(),
            "events" => form.events.push(value.into_owned()),
            "secret" => form.secret = value.trim().to_owned(),
            _ => {}
        }
    }
    form
}

async fn show(
    state: &State,
    viewer: &mut Viewer,
    req: &HttpRequest,
    added: Option<&Added>,
    form: &NewEndpointForm,
    error: Option<&crate::error::Error>,
) -> PageResult {
    let admin = viewer.require_user()?.clone();
    let endpoints = webhooks::list(&state.app, Actor::Account(&admin)).await?;
    let ctx = context(state, viewer, req);
    let errors = error.map(FormErrors::from_error).unwrap_or_default();
    let page = view::page(&ctx, &endpoints, added, form, &errors);
    Ok(match error {
        Some(error) => render_failed(viewer, error, page),
        None => render(viewer, StatusCode::OK, page),
    })
}

pub async fn list(state: web::Data<State>, mut viewer: Viewer, req: HttpRequest) -> PageResult {
    show(&state, &mut viewer, &req, None, &NewEndpointForm::default(), None).await
}

/// Adding answers with the page itself rather than a redirect: it is the one time the secret
/// is shown.
pub async fn add(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    Csrf(body): Csrf<web::Bytes>,
) -> PageResult {
    let admin = viewer.require_user()?.clone();
    let form = parse_form(&body);
    let secret = Some(form.secret.as_str()).filter(|s| !s.is_empty());
    match webhooks::add(&state.app, Actor::Account(&admin), &form.url, &form.events, secret).await {
        Ok(added) => show(&state, &mut viewer, &req, Some(&added), &NewEndpointForm::default(), None).await,
        Err(error) => show(&state, &mut viewer, &req, None, &form, Some(&error)).await,
    }
}

pub async fn set_events(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    id: web::Path<i64>,
    Csrf(body): Csrf<web::Bytes>,
) -> PageResult {
    let admin = viewer.require_user()?.clone();
    let form = parse_form(&body);
    match webhooks::set_events(&state.app, Actor::Account(&admin), id.into_inner(), &form.events).await {
        Ok(_) => Ok(see_other("/admin/webhooks")),
        Err(error) => show(&state, &mut viewer, &req, None, &NewEndpointForm::default(), Some(&error)).await,
    }
}

pub async fn remove(state: web::Data<State>, viewer: Viewer, id: web::Path<i64>, _csrf: Csrf) -> PageResult {
    let admin = viewer.require_user()?;
    webhooks::remove(&state.app, Actor::Account(admin), id.into_inner()).await?;
    Ok(see_other("/admin/webhooks"))
}
