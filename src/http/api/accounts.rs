use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::types::{AccountRequest, ErrorBody, SessionRequest, SessionResponse, UserJson};
use super::{ApiResult, JsonObject};
use crate::domain::role::Role;
use crate::http::extract::{csrf_cookie, expired_session_cookie, session_cookie, Csrf, Viewer};
use crate::http::State;
use crate::services::accounts::{self, Registration, Session};

pub(super) fn session_response(state: &State, status: StatusCode, session: Session) -> HttpResponse {
    let settings = &state.app.settings;
    HttpResponse::build(status)
        .cookie(session_cookie(&session, settings.secure_cookies()))
        .json(SessionResponse { user: Some(UserJson::from(&session.user)), csrf_token: session.csrf_token })
}

pub(super) async fn replace_session(state: &State, viewer: &Viewer) {
    if let Some(old) = &viewer.session {
        let _ = accounts::sign_out(&state.app, &old.token).await;
    }
}

/// Register a reader account and sign it in.
#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts", request_body = AccountRequest,
    params(("X-CSRF-Token" = String, Header, description = "The csrf_token from GET /api/v1/session")),
    responses(
        (status = 201, description = "Account created and signed in", body = SessionResponse,
            headers(("Set-Cookie" = String, description = "The session cookie"),
                ("Cache-Control" = String, description = "no-store: it carries the CSRF token"))),
        (status = 409, description = "Username taken (an email address already in use is not refused: its owner is told instead)", body = ErrorBody),
        (status = 422, description = "A field is not valid: see `field`. Beyond the schema: reserved and offensive usernames, offensive display names and common passwords are refused", body = ErrorBody),
        (status = 429, description = "Too many registrations from this address; see Retry-After", body = ErrorBody)))]
pub async fn create_account(
    state: web::Data<State>,
    viewer: Viewer,
    Csrf(body): Csrf<JsonObject<AccountRequest>>,
) -> ApiResult {
    let body = body.into_inner();
    let registration = Registration {
        username: body.username,
        email: body.email,
        password: body.password,
        display_name: body.display_name,
    };
    let user = accounts::register(&state.app, registration, Role::Reader, Some(&viewer.ip)).await?;
    let session = accounts::start_session(&state.app, user).await?;
    replace_session(&state, &viewer).await;
    Ok(session_response(&state, StatusCode::CREATED, session))
}

/// The current session, and the CSRF token to use. Anonymous callers get a token too (and a
/// cookie that goes with it), for registering and signing in.
#[utoipa::path(get, path = "/api/v1/session", tag = "accounts", security((), ("session" = [])),
    responses((status = 200, description = "The session (user is null when signed out)", body = SessionResponse,
        headers(("Cache-Control" = String, description = "no-store: it carries the CSRF token")))))]
pub async fn get_session(mut viewer: Viewer) -> ApiResult {
    let csrf_token = viewer.csrf_token();
    let mut response = HttpResponse::Ok();
    if let Some(token) = &viewer.new_anon_csrf {
        response.cookie(csrf_cookie(token.clone(), viewer.secure));
    }
    Ok(response.json(SessionResponse { user: viewer.user().map(UserJson::from), csrf_token }))
}

/// Sign in with a username or email and a password.
#[utoipa::path(post, path = "/api/v1/session", tag = "accounts", request_body = SessionRequest,
    params(("X-CSRF-Token" = String, Header, description = "The csrf_token from GET /api/v1/session")),
    responses(
        (status = 200, description = "Signed in; the cookie is set", body = SessionResponse,
            headers(("Set-Cookie" = String, description = "The session cookie"),
                ("Cache-Control" = String, description = "no-store: it carries the CSRF token"))),
        (status = 401, description = "Wrong login or password", body = ErrorBody),
        (status = 422, description = "The login or the password is empty, or the password is longer than 1024 characters", body = ErrorBody),
        (status = 429, description = "Too many failed sign-ins from this address, or to this account from this address; see Retry-After", body = ErrorBody)))]
pub async fn create_session(
    state: web::Data<State>,
    viewer: Viewer,
    Csrf(body): Csrf<JsonObject<SessionRequest>>,
) -> ApiResult {
    let body = body.into_inner();
    let session = accounts::sign_in(&state.app, &body.login, body.password, Some(&viewer.ip)).await?;
    replace_session(&state, &viewer).await;
    Ok(session_response(&state, StatusCode::OK, session))
}

/// Sign out: the session ends in the database at once.
#[utoipa::path(delete, path = "/api/v1/session", tag = "accounts",
    params(("X-CSRF-Token" = String, Header, description = "The session's csrf_token")),
    security(("session" = [])),
    responses((status = 204, description = "Signed out; the cookie is cleared",
        headers(("Set-Cookie" = String, description = "An expired session cookie")))))]
pub async fn delete_session(state: web::Data<State>, viewer: Viewer, _: Csrf) -> ApiResult {
    let session = viewer.session.as_ref().ok_or(crate::error::Error::Unauthenticated)?;
    accounts::sign_out(&state.app, &session.token).await?;
    Ok(HttpResponse::NoContent().cookie(expired_session_cookie(state.app.settings.secure_cookies())).finish())
}
