//! Single sign-on without JavaScript: a form carrying the token from the publisher's site.

use actix_web::web;
use serde::Deserialize;

use super::accounts::{end_previous_session, signed_in, NextQuery};
use super::PageResult;
use crate::http::extract::{Csrf, LocalPath, Viewer};
use crate::http::State;
use crate::services::sso;

#[derive(Debug, Deserialize)]
pub struct SsoForm {
    #[serde(default)]
    token: String,
    next: Option<String>,
}

/// Sign in and go on to `next` (from the form, else the query), if it is a local path.
pub async fn sign_in(
    state: web::Data<State>,
    viewer: Viewer,
    q: web::Query<NextQuery>,
    Csrf(form): Csrf<web::Form<SsoForm>>,
) -> PageResult {
    let form = form.into_inner();
    let next = LocalPath::or_home(form.next.as_deref().or(q.next.as_deref()));
    let session = sso::sign_in(&state.app, &form.token, Some(&viewer.ip)).await?;
    end_previous_session(&state, &viewer).await;
    Ok(signed_in(&state, session, &next))
}
