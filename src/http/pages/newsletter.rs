//! Newsletter pages (subscribe, confirm, unsubscribe) and the admins' newsletter pages.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{context, render, render_failed, see_other, PageResult};
use crate::domain::role::Role;
use crate::error::Error;
use crate::http::errors::HttpError;
use crate::http::extract::{safe_next, Csrf, CsrfDraft, Viewer};
use crate::http::State;
use crate::services::accounts;
use crate::services::newsletter::{self, IssueForm, LinkState};
use crate::views::components::FormErrors;
use crate::views::{admin_newsletter as admin_view, newsletter as view};

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
    let _ = safe_next(form.next.as_deref());
    let result = async {
        checked?;
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

pub async fn subscribe_me(state: web::Data<State>, viewer: Viewer, _: Csrf) -> PageResult {
    let user = viewer.require_user()?.clone();
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

// ---- Admins ----

fn require_admin(viewer: &Viewer) -> Result<accounts::User, HttpError> {
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
    let admin = viewer.require_user()?.clone();
    let counts = newsletter::counts(&state.app, &admin).await?;
    let list = newsletter::subscribers(&state.app, &admin, query.q.clone(), query.status.clone(), Some(200)).await?;
    let issues = newsletter::issues(&state.app, &admin).await?;
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
    let admin = viewer.require_user()?;
    let list = newsletter::subscribers(&state.app, admin, query.q.clone(), query.status.clone(), None).await?;
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
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
}

pub async fn create_issue(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    data: CsrfDraft<IssueFormData>,
) -> PageResult {
    let (data, checked) = data.into_parts();
    let admin = require_admin(&viewer)?;
    let form = IssueForm { subject: data.subject.clone(), body: data.body.clone() };
    let result = async {
        checked?;
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
    let admin = viewer.require_user()?.clone();
    let issue = newsletter::issue(&state.app, &admin, id.into_inner()).await?;
    let form = IssueForm { subject: issue.subject.clone(), body: issue.body_md.clone() };
    let ctx = context(&state, &mut viewer, &req);
    Ok(render(&viewer, StatusCode::OK, admin_view::issue_form(&ctx, Some(issue.id), &form, &FormErrors::none())))
}

pub async fn update_issue(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    id: web::Path<i64>,
    data: CsrfDraft<IssueFormData>,
) -> PageResult {
    let (data, checked) = data.into_parts();
    let admin = viewer.require_user()?.clone();
    let id = id.into_inner();
    let form = IssueForm { subject: data.subject.clone(), body: data.body.clone() };
    let result = async {
        checked?;
        newsletter::update_issue(&state.app, &admin, id, form.clone()).await
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
    let issue = newsletter::issue(&state.app, &admin, id.into_inner()).await?;
    let progress = newsletter::progress(&state.app, &admin, issue.id).await?;
    let confirmed = newsletter::counts(&state.app, &admin).await?.confirmed;
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
    let admin = viewer.require_user()?;
    let id = id.into_inner();
    let issue = newsletter::issue(&state.app, admin, id).await?;
    let p = newsletter::progress(&state.app, admin, id).await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(serde_json::json!({
        "recipients": p.recipients, "queued": p.queued, "sending": p.sending, "sent": p.sent,
        "failed": p.failed, "unknown": p.unknown, "rate_per_second": p.rate_per_second, "status": issue.status,
    })))
}

pub async fn send_test(state: web::Data<State>, viewer: Viewer, id: web::Path<i64>, _: Csrf) -> PageResult {
    let admin = require_admin(&viewer)?;
    let id = id.into_inner();
    newsletter::send_test(&state.app, &admin, id).await?;
    Ok(see_other(&format!("/admin/newsletter/issues/{id}?notice=test")))
}

pub async fn send(state: web::Data<State>, viewer: Viewer, id: web::Path<i64>, _: Csrf) -> PageResult {
    let admin = viewer.require_user()?;
    let id = id.into_inner();
    newsletter::send(&state.app, admin, id).await?;
    Ok(see_other(&format!("/admin/newsletter/issues/{id}?notice=queued")))
}

async fn resend(state: web::Data<State>, viewer: Viewer, id: i64, status: &'static str) -> PageResult {
    let admin = viewer.require_user()?;
    newsletter::resend(&state.app, admin, id, status).await?;
    Ok(see_other(&format!("/admin/newsletter/issues/{id}?notice=resent")))
}

pub async fn resend_unknown(state: web::Data<State>, viewer: Viewer, id: web::Path<i64>, _: Csrf) -> PageResult {
    resend(state, viewer, id.into_inner(), "unknown").await
}

pub async fn resend_failed(state: web::Data<State>, viewer: Viewer, id: web::Path<i64>, _: Csrf) -> PageResult {
    resend(state, viewer, id.into_inner(), "failed").await
}

pub async fn compose_digest(state: web::Data<State>, viewer: Viewer, _: Csrf) -> PageResult {
    let admin = require_admin(&viewer)?;
    let issue = newsletter::compose_digest(&state.app, (&admin).into()).await?;
    Ok(see_other(&format!("/admin/newsletter/issues/{}", issue.id)))
}
