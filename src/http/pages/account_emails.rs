//! The pages behind the links in account e-mails: verify an address, reset a password, stop
//! reply notifications. The settings themselves are on the account page (`account`).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::newsletter::{follow_link, link_problem};
use super::{context, render, render_failed, PageResult};
use crate::http::extract::{session_cookie, Csrf, CsrfDraft, Viewer};
use crate::http::State;
use crate::services::newsletter::LinkState;
use crate::services::{account_emails, accounts};
use crate::views::components::FormErrors;
use crate::views::{account as account_view, newsletter as view};

pub async fn notifications_page(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    let token = token.into_inner();
    if !account_emails::check_notifications_token(&state.app, token.clone()).await? {
        return Ok(link_problem(&state, &mut viewer, &req, &LinkState::Invalid));
    }
    let ctx = context(&state, &mut viewer, &req);
    Ok(render(&viewer, StatusCode::OK, view::notifications_unsubscribe_page(&ctx, &token)))
}

/// One click from a notification e-mail, like the newsletter's (no CSRF token, see above).
pub async fn notifications_off(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    if !account_emails::stop_reply_notifications(&state.app, token.into_inner()).await? {
        return Ok(link_problem(&state, &mut viewer, &req, &LinkState::Invalid));
    }
    let ctx = context(&state, &mut viewer, &req);
    Ok(render(&viewer, StatusCode::OK, view::notifications_off(&ctx)))
}

pub async fn verify_page(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    let token = token.into_inner();
    let link = account_emails::check_verification(&state.app, token.clone()).await?;
    Ok(follow_link(&state, &mut viewer, &req, link, |ctx, _| account_view::verify_page(ctx, &token)))
}

pub async fn verify(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    token: web::Path<String>,
    _: Csrf,
) -> PageResult {
    let link = account_emails::verify(&state.app, token.into_inner()).await?;
    Ok(follow_link(&state, &mut viewer, &req, link, |ctx, _| account_view::verified(ctx)))
}

pub async fn forgot_form(state: web::Data<State>, mut viewer: Viewer, req: HttpRequest) -> PageResult {
    let ctx = context(&state, &mut viewer, &req);
    Ok(render(&viewer, StatusCode::OK, account_view::forgot_password(&ctx, "", &FormErrors::none())))
}

#[derive(Debug, Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

/// The same answer whether or not an account uses the address.
pub async fn forgot(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    form: CsrfDraft<ForgotForm>,
) -> PageResult {
    let (form, checked) = form.into_parts();
    let result = async {
        checked?;
        account_emails::forgot_password(&state.app, &form.email, Some(&viewer.ip)).await
    }
    .await;
    let ctx = context(&state, &mut viewer, &req);
    Ok(match result {
        Ok(()) => render(&viewer, StatusCode::OK, account_view::reset_sent(&ctx)),
        Err(error) => render_failed(
            &viewer,
            &error,
            account_view::forgot_password(&ctx, &form.email, &FormErrors::from_error(&error)),
        ),
    })
}

pub async fn reset_form(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    let token = token.into_inner();
    let link = account_emails::check_reset(&state.app, token.clone()).await?;
    Ok(follow_link(&state, &mut viewer, &req, link, |ctx, _| {
        account_view::reset_form(ctx, &token, &FormErrors::none())
    }))
}

#[derive(Debug, Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    password: String,
}

/// A new password ends every other session and signs this browser in afresh.
pub async fn reset(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    token: web::Path<String>,
    form: CsrfDraft<ResetForm>,
) -> PageResult {
    let token = token.into_inner();
    let (form, checked) = form.into_parts();
    let result = async {
        checked?;
        account_emails::reset_password(&state.app, token.clone(), form.password).await
    }
    .await;
    match result {
        Ok(Some(user)) => {
            let session = accounts::start_session(&state.app, user).await?;
            let settings = &state.app.settings;
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/"))
                .cookie(session_cookie(&session, settings.secure_cookies()))
                .finish())
        }
        Ok(None) => Ok(link_problem(&state, &mut viewer, &req, &LinkState::Invalid)),
        Err(error) => {
            let ctx = context(&state, &mut viewer, &req);
            Ok(render_failed(&viewer, &error, account_view::reset_form(&ctx, &token, &FormErrors::from_error(&error))))
        }
    }
}
