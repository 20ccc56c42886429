//! Newsletter pages (subscribe, confirm, unsubscribe), account e-mail pages (verify, reset
//! password, reply notifications) and the admins' newsletter pages.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{context, render, render_failed, see_other, PageError, PageResult};
use crate::domain::role::Role;
use crate::error::Error;
use crate::http::extract::{safe_next, session_cookie, Viewer};
use crate::http::State;
use crate::services::newsletter::{self, IssueForm, LinkState};
use crate::services::{account_emails, accounts};
use crate::views::components::FormErrors;
use crate::views::{account as account_view, admin_newsletter as admin_view, newsletter as view};

fn link_problem(state: &State, viewer: &mut Viewer, req: &HttpRequest, link: &LinkState) -> HttpResponse {
    let status = if *link == LinkState::Expired { StatusCode::GONE } else { StatusCode::NOT_FOUND };
    let ctx = context(state, viewer, req);
    let message = newsletter::link_problem(link).unwrap_or("This link does not work.");
    render(viewer, status, view::link_problem(&ctx, message))
}

/// The page for a link from an e-mail: `page` (given the address the link is for) when the link
/// is valid, or the page that says why it does not work.
fn follow_link(
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
    csrf_token: Option<String>,
    #[serde(default)]
    email: String,
    next: Option<String>,
}

/// The same page follows whether or not the address is known.
pub async fn subscribe(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    form: web::Form<SubscribeForm>,
) -> PageResult {
    let _ = safe_next(form.next.as_deref());
    let result = async {
        viewer.check_csrf(form.csrf_token.as_deref())?;
        newsletter::subscribe(&state.app, &form.email, Some(&viewer.ip), None).await
    }
    .await;
    let ctx = context(&state, &mut viewer, &req);
    Ok(match result {
        Ok(()) => render(&viewer, StatusCode::OK, view::check_inbox(&ctx)),
        Err(error) => render_failed(
            &viewer,
            &error,
            view::newsletter_page(&ctx, &form.email, &FormErrors::from_error(&error), None),
        ),
    })
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf_token: Option<String>,
}

pub async fn subscribe_me(state: web::Data<State>, viewer: Viewer, form: web::Form<CsrfForm>) -> PageResult {
    let user = viewer.require_user()?.clone();
    viewer.check_csrf(form.csrf_token.as_deref())?;
    newsletter::subscribe_verified(&state.app, &user).await?;
    Ok(see_other(&format!("/users/{}", user.username)))
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
    form: web::Form<CsrfForm>,
) -> PageResult {
    viewer.check_csrf(form.csrf_token.as_deref())?;
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

#[derive(Debug, Deserialize)]
pub struct NotificationsForm {
    csrf_token: Option<String>,
    on: Option<String>,
}

pub async fn set_notifications(
    state: web::Data<State>,
    viewer: Viewer,
    form: web::Form<NotificationsForm>,
) -> PageResult {
    let user = viewer.require_user()?.clone();
    viewer.check_csrf(form.csrf_token.as_deref())?;
    let on = matches!(form.on.as_deref(), Some("1" | "on" | "true"));
    account_emails::set_reply_notifications(&state.app, &user, on).await?;
    Ok(see_other(&format!("/users/{}", user.username)))
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
    form: web::Form<CsrfForm>,
) -> PageResult {
    viewer.check_csrf(form.csrf_token.as_deref())?;
    let link = account_emails::verify(&state.app, token.into_inner()).await?;
    Ok(follow_link(&state, &mut viewer, &req, link, |ctx, _| account_view::verified(ctx)))
}

pub async fn resend_verification(state: web::Data<State>, viewer: Viewer, form: web::Form<CsrfForm>) -> PageResult {
    let user = viewer.require_user()?.clone();
    viewer.check_csrf(form.csrf_token.as_deref())?;
    account_emails::resend_verification(&state.app, &user).await?;
    Ok(see_other(&format!("/users/{}", user.username)))
}

pub async fn forgot_form(state: web::Data<State>, mut viewer: Viewer, req: HttpRequest) -> PageResult {
    let ctx = context(&state, &mut viewer, &req);
    Ok(render(&viewer, StatusCode::OK, account_view::forgot_password(&ctx, "", &FormErrors::none())))
}

#[derive(Debug, Deserialize)]
pub struct ForgotForm {
    csrf_token: Option<String>,
    #[serde(default)]
    email: String,
}

/// The same answer whether or not an account uses the address.
pub async fn forgot(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    form: web::Form<ForgotForm>,
) -> PageResult {
    let result = async {
        viewer.check_csrf(form.csrf_token.as_deref())?;
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
    csrf_token: Option<String>,
    #[serde(default)]
    password: String,
}

/// A new password ends every other session and signs this browser in afresh.
pub async fn reset(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    token: web::Path<String>,
    form: web::Form<ResetForm>,
) -> PageResult {
    let token = token.into_inner();
    let form = form.into_inner();
    let result = async {
        viewer.check_csrf(form.csrf_token.as_deref())?;
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

// ---- Admins ----

fn require_admin(viewer: &Viewer) -> Result<accounts::User, PageError> {
    Ok(viewer.require_role(Role::Admin)?.clone())
}

#[derive(Debug, Deserialize)]
pub struct DashboardQuery {
    q: Option<String>,
    status: Option<String>,
}

pub async fn dashboard(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    query: web::Query<DashboardQuery>,
) -> PageResult {
    require_admin(&viewer)?;
    let counts = newsletter::counts(&state.app).await?;
    let list = newsletter::subscribers(&state.app, query.q.clone(), query.status.clone(), Some(200)).await?;
    let issues = newsletter::issues(&state.app).await?;
    let ctx = context(&state, &mut viewer, &req);
    let page = admin_view::dashboard(
        &ctx,
        &counts,
        &list,
        query.q.as_deref().unwrap_or(""),
        query.status.as_deref().unwrap_or(""),
        &issues,
    );
    Ok(render(&viewer, StatusCode::OK, page))
}

pub async fn export_csv(state: web::Data<State>, viewer: Viewer, query: web::Query<DashboardQuery>) -> PageResult {
    require_admin(&viewer)?;
    let list = newsletter::subscribers(&state.app, query.q.clone(), query.status.clone(), None).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"subscribers.csv\""))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(newsletter::to_csv(&list)))
}

pub async fn new_issue(state: web::Data<State>, mut viewer: Viewer, req: HttpRequest) -> PageResult {
    require_admin(&viewer)?;
    let ctx = context(&state, &mut viewer, &req);
    Ok(render(&viewer, StatusCode::OK, admin_view::issue_form(&ctx, None, &IssueForm::default(), &FormErrors::none())))
}

#[derive(Debug, Deserialize)]
pub struct IssueFormData {
    csrf_token: Option<String>,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
}

pub async fn create_issue(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    data: web::Form<IssueFormData>,
) -> PageResult {
    let admin = require_admin(&viewer)?;
    let form = IssueForm { subject: data.subject.clone(), body: data.body.clone() };
    let result = async {
        viewer.check_csrf(data.csrf_token.as_deref())?;
        newsletter::create_issue(&state.app, &admin, form.clone(), "manual").await
    }
    .await;
    match result {
        Ok(issue) => Ok(see_other(&format!("/admin/newsletter/issues/{}", issue.id))),
        Err(error) => {
            let ctx = context(&state, &mut viewer, &req);
            Ok(render_failed(
                &viewer,
                &error,
                admin_view::issue_form(&ctx, None, &form, &FormErrors::from_error(&error)),
            ))
        }
    }
}

pub async fn edit_issue(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    id: web::Path<i64>,
) -> PageResult {
    require_admin(&viewer)?;
    let issue = newsletter::issue(&state.app, id.into_inner()).await?;
    let form = IssueForm { subject: issue.subject.clone(), body: issue.body_md.clone() };
    let ctx = context(&state, &mut viewer, &req);
    Ok(render(&viewer, StatusCode::OK, admin_view::issue_form(&ctx, Some(issue.id), &form, &FormErrors::none())))
}

pub async fn update_issue(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    id: web::Path<i64>,
    data: web::Form<IssueFormData>,
) -> PageResult {
    require_admin(&viewer)?;
    let id = id.into_inner();
    let form = IssueForm { subject: data.subject.clone(), body: data.body.clone() };
    let result = async {
        viewer.check_csrf(data.csrf_token.as_deref())?;
        newsletter::update_issue(&state.app, id, form.clone()).await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/admin/newsletter/issues/{id}"))),
        Err(error) => {
            let ctx = context(&state, &mut viewer, &req);
            Ok(render_failed(
                &viewer,
                &error,
                admin_view::issue_form(&ctx, Some(id), &form, &FormErrors::from_error(&error)),
            ))
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct IssueQuery {
    notice: Option<String>,
}

pub async fn show_issue(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    id: web::Path<i64>,
    query: web::Query<IssueQuery>,
) -> PageResult {
    let admin = require_admin(&viewer)?;
    let issue = newsletter::issue(&state.app, id.into_inner()).await?;
    let progress = newsletter::progress(&state.app, issue.id).await?;
    let confirmed = newsletter::counts(&state.app).await?.confirmed;
    let preview = newsletter::preview(&state.app, &issue);
    let notice = match query.notice.as_deref() {
        Some("test") => Some(format!("A test is on its way to {}.", admin.email)),
        Some("queued") => Some(format!("The issue is queued for {} subscribers.", progress.recipients)),
        Some("resent") => Some("Those messages are queued again.".to_owned()),
        _ => None,
    };
    let ctx = context(&state, &mut viewer, &req);
    Ok(render(
        &viewer,
        StatusCode::OK,
        admin_view::issue_page(&ctx, &issue, &preview, &progress, confirmed, notice.as_deref()),
    ))
}

pub async fn progress_json(state: web::Data<State>, viewer: Viewer, id: web::Path<i64>) -> PageResult {
    require_admin(&viewer)?;
    let id = id.into_inner();
    let issue = newsletter::issue(&state.app, id).await?;
    let p = newsletter::progress(&state.app, id).await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(serde_json::json!({
        "recipients": p.recipients, "queued": p.queued, "sending": p.sending, "sent": p.sent,
        "failed": p.failed, "unknown": p.unknown, "rate_per_second": p.rate_per_second, "status": issue.status,
    })))
}

pub async fn send_test(
    state: web::Data<State>,
    viewer: Viewer,
    id: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> PageResult {
    let admin = require_admin(&viewer)?;
    viewer.check_csrf(form.csrf_token.as_deref())?;
    let id = id.into_inner();
    newsletter::send_test(&state.app, &admin, id).await?;
    Ok(see_other(&format!("/admin/newsletter/issues/{id}?notice=test")))
}

pub async fn send(
    state: web::Data<State>,
    viewer: Viewer,
    id: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> PageResult {
    require_admin(&viewer)?;
    viewer.check_csrf(form.csrf_token.as_deref())?;
    let id = id.into_inner();
    newsletter::send(&state.app, id).await?;
    Ok(see_other(&format!("/admin/newsletter/issues/{id}?notice=queued")))
}

async fn resend(
    state: web::Data<State>,
    viewer: Viewer,
    id: i64,
    csrf: Option<&str>,
    status: &'static str,
) -> PageResult {
    require_admin(&viewer)?;
    viewer.check_csrf(csrf)?;
    newsletter::resend(&state.app, id, status).await?;
    Ok(see_other(&format!("/admin/newsletter/issues/{id}?notice=resent")))
}

pub async fn resend_unknown(
    state: web::Data<State>,
    viewer: Viewer,
    id: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> PageResult {
    resend(state, viewer, id.into_inner(), form.csrf_token.as_deref(), "unknown").await
}

pub async fn resend_failed(
    state: web::Data<State>,
    viewer: Viewer,
    id: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> PageResult {
    resend(state, viewer, id.into_inner(), form.csrf_token.as_deref(), "failed").await
}

pub async fn compose_digest(state: web::Data<State>, viewer: Viewer, form: web::Form<CsrfForm>) -> PageResult {
    let admin = require_admin(&viewer)?;
    viewer.check_csrf(form.csrf_token.as_deref())?;
    let issue = newsletter::compose_digest(&state.app, Some(&admin)).await?;
    Ok(see_other(&format!("/admin/newsletter/issues/{}", issue.id)))
}
