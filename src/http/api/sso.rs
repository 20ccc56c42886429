//! Single sign-on from the publisher's site: the embed posts the token its page was given.

use actix_web::http::StatusCode;
use actix_web::web;
use serde::Deserialize;
use utoipa::ToSchema;

use super::accounts::{replace_session, session_response};
use super::types::{fields, ErrorBody, SessionResponse};
use super::{ApiResult, JsonObject};
use crate::http::extract::{Csrf, Viewer};
use crate::http::State;
use crate::services::sso;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SsoRequest {
    /// A JWT signed HS256 with the site's `sso_secret`, with claims `sub`, `email`, `username`,
    /// optional `name`, and `exp` at most 10 minutes away.
    #[schema(schema_with = fields::sso_token)]
    pub token: String,
}

/// Sign in with a token from the publisher's site, making the account on first use.
#[utoipa::path(post, path = "/api/v1/sso", tag = "accounts", request_body = SsoRequest,
    params(("X-CSRF-Token" = String, Header, description = "The csrf_token from GET /api/v1/session")),
    responses(
        (status = 200, description = "Signed in; the cookie is set", body = SessionResponse,
            headers(("Set-Cookie" = String, description = "The session cookie"),
                ("Cache-Control" = String, description = "no-store: it carries the CSRF token"))),
        (status = 401, description = "The token was refused (code `sso_refused`): malformed, not HS256, a bad signature, expired, valid for more than 10 minutes, or already used", body = ErrorBody),
        (status = 404, description = "Single sign-on is not turned on for this site", body = ErrorBody),
        (status = 409, description = "Two first sign-ins of one reader at once; try again", body = ErrorBody),
        (status = 429, description = "Too many failed sign-ins (by password or token) from this address; see Retry-After", body = ErrorBody)))]
pub async fn sign_in(state: web::Data<State>, viewer: Viewer, Csrf(body): Csrf<JsonObject<SsoRequest>>) -> ApiResult {
    let session = sso::sign_in(&state.app, &body.into_inner().token, Some(&viewer.ip)).await?;
    replace_session(&state, &viewer).await;
    Ok(session_response(&state, StatusCode::OK, session))
}
