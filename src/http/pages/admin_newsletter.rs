//! The admins' newsletter pages: subscribers, issues (write, preview, test, send, progress)
//! and the digest.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{context, render, render_failed, see_other, PageResult};
use crate::domain::role::Role;
use crate::http::api::JsonObject;
use crate::http::extract::{Csrf, CsrfDraft, Viewer};
use crate::http::State;
use crate::services::newsletter::{self, IssueForm};
use crate::views::admin_newsletter as admin_view;
use crate::views::components::FormErrors;

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
    viewer.require_role(Role::Admin)?;
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
    let admin = viewer.require_user()?.clone();
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

/// A draft as the editor's script sends it while they type.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
}

/// The live preview of the issue editor: the draft through the issue e-mail's own template.
pub async fn preview_draft(
    state: web::Data<State>,
    viewer: Viewer,
    Csrf(draft): Csrf<JsonObject<PreviewRequest>>,
) -> PageResult {
    let admin = viewer.require_user()?;
    let draft = draft.into_inner();
    let form = IssueForm { subject: draft.subject, body: draft.body };
    let message = newsletter::draft_preview(&state.app, admin, &form)?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(serde_json::json!({
        "subject": message.subject, "html": message.html.into_string(), "text": message.text,
    })))
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
    let admin = viewer.require_user()?.clone();
    let issue = newsletter::issue(&state.app, &admin, id.into_inner()).await?;
    let progress = newsletter::progress(&state.app, &admin, issue.id).await?;
    let confirmed = newsletter::counts(&state.app, &admin).await?.confirmed;
    let preview = newsletter::preview(&state.app, &issue);
    let notice = match query.notice.as_deref() {
        Some("test") => Some(format!("A test is on its way to {}.", admin.email)),
        Some("queued") => Some(format!(
            "The issue is queued for {} {}.",
            progress.recipients,
            if progress.recipients == 1 { "subscriber" } else { "subscribers" }
        )),
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
    let p = newsletter::progress(&state.app, admin, id).await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(serde_json::json!({
        "recipients": p.recipients, "queued": p.queued, "sending": p.sending, "sent": p.sent,
        "failed": p.failed, "unknown": p.unknown, "rate_per_second": p.rate_per_second, "status": p.status,
    })))
}

pub async fn send_test(state: web::Data<State>, viewer: Viewer, id: web::Path<i64>, _: Csrf) -> PageResult {
    let admin = viewer.require_user()?.clone();
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
    let admin = viewer.require_user()?.clone();
    let issue = newsletter::compose_digest(&state.app, (&admin).into()).await?;
    Ok(see_other(&format!("/admin/newsletter/issues/{}", issue.id)))
}
