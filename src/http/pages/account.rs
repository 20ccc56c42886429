//! `/account`: a reader manages their account on one page: display name, e-mail address,
//! password, e-mails, sessions, their data and deleting the account. Each form posts here and
//! redirects back to the page with what it did (`?done=`); a refused form is shown again in
//! place, with its error beside it.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::newsletter::follow_link;
use super::{context, render, render_failed, see_other, PageResult};
use crate::error::Error;
use crate::http::extract::{expired_session_cookie, Csrf, CsrfDraft, Viewer};
use crate::http::State;
use crate::services::accounts::{self, User};
use crate::services::{account_data, account_emails, newsletter};
use crate::views::account::{self as view, AccountDraft, AccountView, Done, Part};
use crate::views::components::FormErrors;

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    done: Option<String>,
}

/// The signed-in reader and their session token (the route's guard has made sure of both).
fn me(viewer: &Viewer) -> Result<(User, String), Error> {
    let session = viewer.session.as_ref().ok_or(Error::Unauthenticated)?;
    Ok((session.user.clone(), session.token.clone()))
}

async fn account_view(state: &State, user: User, token: &str) -> Result<AccountView, Error> {
    let status = accounts::account_status(&state.app, &user).await?;
    // Only a verified address is surely the reader's own: another's tells them nothing about
    // its subscription.
    let subscribed = status.email_verified && newsletter::is_subscribed(&state.app, &user.email).await?;
    let devices = accounts::devices(&state.app, &user, token).await?;
    Ok(AccountView { user, status, subscribed, devices })
}

fn done(what: Done) -> HttpResponse {
    see_other(&format!("/account?done={}#{}", what.key(), what.anchor()))
}

pub async fn page(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    q: web::Query<PageQuery>,
) -> PageResult {
    let (user, token) = me(&viewer)?;
    let view = account_view(&state, user, &token).await?;
    let ctx = context(&state, &mut viewer, &req);
    let done = q.done.as_deref().and_then(Done::parse);
    Ok(render(&viewer, StatusCode::OK, view::account_page(&ctx, &view, done, None, &AccountDraft::default())))
}

/// The account page again, with `error` shown in `part` and the reader's input kept.
async fn refused(
    state: &State,
    viewer: &mut Viewer,
    req: &HttpRequest,
    part: Part,
    error: Error,
    draft: AccountDraft,
) -> PageResult {
    error.log();
    if matches!(error, Error::Unauthenticated | Error::Csrf) && viewer.user().is_none() {
        return Err(error.into());
    }
    // A user freshly renamed is not in the session yet: read the account again.
    let (user, token) = me(viewer)?;
    let view = account_view(state, user, &token).await?;
    let ctx = context(state, viewer, req);
    let errors = FormErrors::from_error(&error);
    Ok(render_failed(viewer, &error, view::account_page(&ctx, &view, None, Some((part, &errors)), &draft)))
}

#[derive(Debug, Deserialize)]
pub struct NameForm {
    #[serde(default)]
    display_name: String,
}

pub async fn set_name(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    form: CsrfDraft<NameForm>,
) -> PageResult {
    let (form, checked) = form.into_parts();
    let result = async {
        checked?;
        let (user, _) = me(&viewer)?;
        accounts::set_display_name(&state.app, &user, &form.display_name).await
    }
    .await;
    match result {
        Ok(_) => Ok(done(Done::Name)),
        Err(error) => {
            let draft = AccountDraft { display_name: Some(form.display_name), ..AccountDraft::default() };
            refused(&state, &mut viewer, &req, Part::Name, error, draft).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    current_password: String,
}

pub async fn change_email(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    form: CsrfDraft<EmailForm>,
) -> PageResult {
    let (form, checked) = form.into_parts();
    let result = async {
        checked?;
        let (user, _) = me(&viewer)?;
        accounts::request_email_change(&state.app, &user, &form.email, form.current_password).await
    }
    .await;
    match result {
        Ok(()) => Ok(done(Done::EmailSent)),
        Err(error) => {
            let draft = AccountDraft { email: Some(form.email), ..AccountDraft::default() };
            refused(&state, &mut viewer, &req, Part::Email, error, draft).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

pub async fn change_password(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    form: CsrfDraft<PasswordForm>,
) -> PageResult {
    let (form, checked) = form.into_parts();
    let result = async {
        checked?;
        let (user, token) = me(&viewer)?;
        accounts::change_password(&state.app, &user, &token, form.current_password, form.new_password).await
    }
    .await;
    match result {
        Ok(_) => Ok(done(Done::Password)),
        Err(error) => refused(&state, &mut viewer, &req, Part::Password, error, AccountDraft::default()).await,
    }
}

/// `on=1` turns a setting on; anything else turns it off.
#[derive(Debug, Deserialize)]
pub struct SwitchForm {
    on: Option<String>,
}

impl SwitchForm {
    fn on(&self) -> bool {
        matches!(self.on.as_deref(), Some("1" | "on" | "true"))
    }
}

pub async fn set_newsletter(
    state: web::Data<State>,
    viewer: Viewer,
    Csrf(form): Csrf<web::Form<SwitchForm>>,
) -> PageResult {
    let (user, _) = me(&viewer)?;
    if form.on() {
        newsletter::subscribe_verified(&state.app, &user).await?;
        Ok(done(Done::Subscribed))
    } else {
        newsletter::unsubscribe_account(&state.app, &user).await?;
        Ok(done(Done::Unsubscribed))
    }
}

pub async fn set_notifications(
    state: web::Data<State>,
    viewer: Viewer,
    Csrf(form): Csrf<web::Form<SwitchForm>>,
) -> PageResult {
    let (user, _) = me(&viewer)?;
    account_emails::set_reply_notifications(&state.app, &user, form.on()).await?;
    Ok(done(if form.on() { Done::NotificationsOn } else { Done::NotificationsOff }))
}

pub async fn resend_verification(state: web::Data<State>, viewer: Viewer, _: Csrf) -> PageResult {
    let (user, _) = me(&viewer)?;
    account_emails::resend_verification(&state.app, &user).await?;
    Ok(done(Done::VerificationSent))
}

pub async fn end_session(state: web::Data<State>, viewer: Viewer, id: web::Path<i64>, _: Csrf) -> PageResult {
    let (user, _) = me(&viewer)?;
    accounts::end_device(&state.app, &user, id.into_inner()).await?;
    Ok(done(Done::SessionEnded))
}

pub async fn end_other_sessions(state: web::Data<State>, viewer: Viewer, _: Csrf) -> PageResult {
    let (user, token) = me(&viewer)?;
    accounts::end_other_devices(&state.app, &user, &token).await?;
    Ok(done(Done::OthersEnded))
}

/// GET /account/export: everything about the reader, as a JSON file to keep.
pub async fn export(state: web::Data<State>, viewer: Viewer) -> PageResult {
    let (user, token) = me(&viewer)?;
    let data = account_data::export(&state.app, &user, &token).await?;
    let body = serde_json::to_string_pretty(&data).map_err(Error::internal)?;
    let date = data.exported_at.format("%Y-%m-%d");
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}-data-{date}.json\"", user.username),
        ))
        .body(body))
}

#[derive(Debug, Deserialize)]
pub struct DeleteForm {
    /// The password, for an account that has one.
    current_password: Option<String>,
    /// The username typed out, for an account made by single sign-on.
    confirm: Option<String>,
}

pub async fn delete(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    form: CsrfDraft<DeleteForm>,
) -> PageResult {
    let (form, checked) = form.into_parts();
    let result = async {
        checked?;
        let (user, _) = me(&viewer)?;
        let confirmation = form.current_password.or(form.confirm).unwrap_or_default();
        account_data::delete_account(&state.app, &user, confirmation).await
    }
    .await;
    match result {
        Ok(_) => {
            let secure = state.app.settings.secure_cookies();
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/account/deleted"))
                .cookie(expired_session_cookie(secure))
                .finish())
        }
        Err(error) => refused(&state, &mut viewer, &req, Part::Delete, error, AccountDraft::default()).await,
    }
}

pub async fn deleted(state: web::Data<State>, mut viewer: Viewer, req: HttpRequest) -> PageResult {
    let ctx = context(&state, &mut viewer, &req);
    Ok(render(&viewer, StatusCode::OK, view::account_deleted(&ctx)))
}

pub async fn email_change_page(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    token: web::Path<String>,
) -> PageResult {
    let token = token.into_inner();
    let link = account_emails::check_email_change(&state.app, token.clone()).await?;
    Ok(follow_link(&state, &mut viewer, &req, link, |ctx, email| view::email_change_page(ctx, &token, email)))
}

pub async fn confirm_email_change(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    token: web::Path<String>,
    _: Csrf,
) -> PageResult {
    let link = account_emails::confirm_email_change(&state.app, token.into_inner()).await?;
    Ok(follow_link(&state, &mut viewer, &req, link, view::email_changed))
}
