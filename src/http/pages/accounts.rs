use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{context, render, render_failed, PageResult};
use crate::domain::role::Role;
use crate::error::Error;
use crate::http::extract::{csrf_cookie, expired_session_cookie, session_cookie, Csrf, CsrfDraft, LocalPath, Viewer};
use crate::http::State;
use crate::services::accounts::{self, Registration, Session};
use crate::services::comments;
use crate::views::account::{self as view, RegistrationDraft};
use crate::views::components::FormErrors;

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    pub(super) next: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    display_name: Option<String>,
}

impl RegisterForm {
    fn draft(&self) -> RegistrationDraft {
        RegistrationDraft {
            username: self.username.clone(),
            email: self.email.clone(),
            display_name: self.display_name.clone().unwrap_or_default(),
        }
    }

    fn registration(self) -> Registration {
        Registration {
            username: self.username,
            email: self.email,
            password: self.password,
            display_name: self.display_name,
        }
    }
}

/// Sign in: set the session cookie and go on.
pub(super) fn signed_in(state: &State, session: Session, next: &LocalPath) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, next.as_str()))
        .cookie(session_cookie(&session, state.app.settings.secure_cookies()))
        .finish()
}

/// A new session replaces any the browser had, so a token fixed before sign-in is worthless.
pub(super) async fn end_previous_session(state: &State, viewer: &Viewer) {
    if let Some(old) = &viewer.session {
        let _ = accounts::sign_out(&state.app, &old.token).await;
    }
}

pub async fn register_form(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    q: web::Query<NextQuery>,
) -> PageResult {
    let next = LocalPath::or_home(q.next.as_deref());
    if viewer.user().is_some() {
        return Ok(super::see_other(next.as_str()));
    }
    let ctx = context(&state, &mut viewer, &req);
    Ok(render(
        &viewer,
        StatusCode::OK,
        view::register(&ctx, next.as_str(), &RegistrationDraft::default(), &FormErrors::none()),
    ))
}

pub async fn register(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    q: web::Query<NextQuery>,
    form: CsrfDraft<RegisterForm>,
) -> PageResult {
    let next = LocalPath::or_home(q.next.as_deref());
    let (form, checked) = form.into_parts();
    let draft = form.draft();
    let result = async {
        checked?;
        let user = accounts::register(&state.app, form.registration(), Role::Reader, Some(&viewer.ip)).await?;
        accounts::start_session(&state.app, user).await
    }
    .await;
    match result {
        Ok(session) => {
            end_previous_session(&state, &viewer).await;
            Ok(signed_in(&state, session, &next))
        }
        Err(error) => {
            error.log();
            let ctx = context(&state, &mut viewer, &req);
            Ok(render_failed(
                &viewer,
                &error,
                view::register(&ctx, next.as_str(), &draft, &FormErrors::from_error(&error)),
            ))
        }
    }
}

pub async fn sign_in_form(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    q: web::Query<NextQuery>,
) -> PageResult {
    let next = LocalPath::or_home(q.next.as_deref());
    if viewer.user().is_some() {
        return Ok(super::see_other(next.as_str()));
    }
    let ctx = context(&state, &mut viewer, &req);
    Ok(render(&viewer, StatusCode::OK, view::sign_in(&ctx, next.as_str(), "", &FormErrors::none())))
}

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
}

pub async fn sign_in(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    q: web::Query<NextQuery>,
    form: CsrfDraft<SignInForm>,
) -> PageResult {
    let next = LocalPath::or_home(q.next.as_deref());
    let (form, checked) = form.into_parts();
    let result = async {
        checked?;
        accounts::sign_in(&state.app, &form.login, form.password, Some(&viewer.ip)).await
    }
    .await;
    match result {
        Ok(session) => {
            end_previous_session(&state, &viewer).await;
            Ok(signed_in(&state, session, &next))
        }
        Err(error) => {
            error.log();
            let ctx = context(&state, &mut viewer, &req);
            Ok(render_failed(
                &viewer,
                &error,
                view::sign_in(&ctx, next.as_str(), &form.login, &FormErrors::from_error(&error)),
            ))
        }
    }
}

/// End the session and go on to `next` (a local path, else the home page): the embed's frame
/// signs out back into itself, on the page of the thread the reader was on. A fresh CSRF
/// token replaces the session's, so nothing of the session outlives it in the browser (inside
/// the frame, the security middleware clears and replaces the partitioned twins alike).
pub async fn sign_out(state: web::Data<State>, viewer: Viewer, q: web::Query<NextQuery>, _: Csrf) -> PageResult {
    if let Some(session) = &viewer.session {
        accounts::sign_out(&state.app, &session.token).await?;
    }
    let secure = state.app.settings.secure_cookies();
    Ok(HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, LocalPath::or_home(q.next.as_deref()).as_str()))
        .cookie(expired_session_cookie(secure))
        .cookie(csrf_cookie(crate::services::tokens::random_token(), secure))
        .finish())
}

pub async fn profile(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    username: web::Path<String>,
) -> PageResult {
    let user = accounts::find_by_username(&state.app, &username).await?;
    let (list, total) = comments::by_author(&state.app, user.id).await?;
    let ctx = context(&state, &mut viewer, &req);
    // Moderators see the sanctions panel for accounts they outrank.
    let staff_view = viewer.user().is_some_and(|me| me.is_staff() && me.role > user.role);
    let own = viewer.user().is_some_and(|me| me.id == user.id);
    Ok(render(
        &viewer,
        StatusCode::OK,
        view::profile(&ctx, &user, &list, total, staff_view, own, state.app.clock.now()),
    ))
}

#[derive(Debug, Deserialize)]
pub struct SetupQuery {
    token: Option<String>,
}

fn setup_gone() -> Error {
    Error::NotFound("This setup link has already been used or is not valid. Sign in instead.".into())
}

pub async fn setup_form(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    q: web::Query<SetupQuery>,
) -> PageResult {
    let token = q.token.clone().unwrap_or_default();
    if token.is_empty() || !accounts::setup_token_valid(&state.app, token.clone()).await? {
        return Err(setup_gone().into());
    }
    let ctx = context(&state, &mut viewer, &req);
    Ok(render(&viewer, StatusCode::OK, view::setup(&ctx, &token, &RegistrationDraft::default(), &FormErrors::none())))
}

#[derive(Debug, Deserialize)]
pub struct SetupForm {
    token: Option<String>,
    #[serde(flatten)]
    account: RegisterForm,
}

pub async fn setup(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    form: CsrfDraft<SetupForm>,
) -> PageResult {
    let (form, checked) = form.into_parts();
    let token = form.token.unwrap_or_default();
    let draft = form.account.draft();
    let result = async {
        checked?;
        let user = accounts::complete_setup(&state.app, token.clone(), form.account.registration()).await?;
        accounts::start_session(&state.app, user).await
    }
    .await;
    match result {
        Ok(session) => {
            end_previous_session(&state, &viewer).await;
            Ok(signed_in(&state, session, &LocalPath::or_home(Some("/admin"))))
        }
        Err(error @ Error::Forbidden(_)) => Err(error.into()),
        Err(error) => {
            let ctx = context(&state, &mut viewer, &req);
            Ok(render_failed(&viewer, &error, view::setup(&ctx, &token, &draft, &FormErrors::from_error(&error))))
        }
    }
}
