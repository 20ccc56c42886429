//! Newsletter pages for readers: subscribe, confirm, unsubscribe.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{context, render, render_failed, see_other, PageResult};
use crate::error::Error;
use crate::http::extract::{safe_next, Csrf, CsrfDraft, Viewer};
use crate::http::State;
use crate::services::accounts;
use crate::services::newsletter::{self, LinkState};
use crate::views::components::FormErrors;
use crate::views::newsletter as view;

pub(super) fn link_problem(state: &State, viewer: &mut Viewer, req: &HttpRequest, link: &LinkState) -> HttpResponse {
    let status = if *link == LinkState::Expired { StatusCode::GONE } else { StatusCode::NOT_FOUND };
    let ctx = context(state, viewer, req);
    let message = newsletter::link_problem(link).unwrap_or("This link does not work.");
    render(viewer, status, view::link_problem(&ctx, message))
}

/// The page for a link from an e-mail: `page` (given the address the link is for) when the link
/// is valid, or the page that says why it does not work.
pub(super) fn follow_link(
    state: &State,
    viewer: &mut Viewer,
    req: &HttpRequest,
    link: LinkState,
    page: impl FnOnce(&crate::views::PageContext, &str) -> maud::Markup,
) -> HttpResponse {
    match link {
        LinkState::Valid { email } => {
            let ctx = context(state, viewer, req);
            render(viewer, StatusCode::OK, page(&ctx, &email))
        }
        other => link_problem(state, viewer, req, &other),
    }
}

async fn one_click_state(state: &State, viewer: &Viewer) -> Result<Option<bool>, Error> {
    let Some(user) = viewer.user() else { return Ok(None) };
    let (verified, _) = accounts::email_status(&state.app, user.id).await?;
    if !verified {
        return Ok(None);
    }
    Ok(Some(!newsletter::is_subscribed(&state.app, &user.email).await?))
}

pub async fn page(state: web::Data<State>, mut viewer: Viewer, req: HttpRequest) -> PageResult {
    let one_click = one_click_state(&state, &viewer).await?;
    let ctx = context(&state, &mut viewer, &req);
    Ok(render(&viewer, StatusCode::OK, view::newsletter_page(&ctx, "", &FormErrors::none(), one_click)))
}

#[derive(Debug, Deserialize)]
pub struct SubscribeForm {
    #[serde(default)]
    email: String,
    next: Option<String>,
}

/// The same page follows whether or not the address is known.
pub async fn subscribe(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    form: CsrfDraft<SubscribeForm>,
) -> PageResult {
    let (form, checked) = form.into_parts();
    let back = safe_next(form.next.as_deref());
    let result = async {
        checked?;
        newsletter::subscribe(&state.app, &form.email, Some(&viewer.ip), None).await
    }
    .await;
    let ctx = context(&state, &mut viewer, &req);
    Ok(match result {
        Ok(()) => render(&viewer, StatusCode::OK, view::check_inbox(&ctx, &back)),
        Err(error) => render_failed(
            &viewer,
            &error,
            view::newsletter_page(&ctx, &form.email, &FormErrors::from_error(&error), None),
        ),
    })
}

pub async fn subscribe_me(state: web::Data<State>, viewer: Viewer, _: Csrf) -> PageResult {
    let user = viewer.require_user()?.clone();
    newsletter::subscribe_verified(&state.app, &user).await?;
    Ok(see_other("/account?done=subscribed#mail"))
}

pub async fn confirm_page(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    let token = token.into_inner();
    let link = newsletter::check_confirmation(&state.app, token.clone()).await?;
    Ok(follow_link(&state, &mut viewer, &req, link, |ctx, email| view::confirm_page(ctx, &token, email)))
}

pub async fn confirm(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    token: web::Path<String>,
    _: Csrf,
) -> PageResult {
    let link = newsletter::confirm(&state.app, token.into_inner()).await?;
    Ok(follow_link(&state, &mut viewer, &req, link, |ctx, _| view::confirmed(ctx)))
}

pub async fn unsubscribe_page(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    let token = token.into_inner();
    let link = newsletter::check_unsubscribe(&state.app, token.clone()).await?;
    Ok(follow_link(&state, &mut viewer, &req, link, |ctx, email| view::unsubscribe_page(ctx, &token, email)))
}

/// RFC 8058 one-click unsubscribe: mail clients POST here without cookies, so no CSRF token is
/// asked for. The unguessable token in the address is the authority, and unsubscribing is the
/// only thing it can do.
pub async fn unsubscribe(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    let link = newsletter::unsubscribe(&state.app, token.into_inner()).await?;
    Ok(follow_link(&state, &mut viewer, &req, link, |ctx, _| view::unsubscribed(ctx)))
}
