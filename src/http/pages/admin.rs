use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use serde::Deserialize;

use super::{context, render, render_failed, see_other, PageResult};
use crate::domain::role::Role;
use crate::domain::site::SettingsForm;
use crate::http::extract::{Csrf, CsrfDraft, Viewer};
use crate::http::State;
use crate::services::accounts;
use crate::services::articles::{self, ArticleForm};
use crate::services::settings;
use crate::views::admin as view;
use crate::views::components::FormErrors;

pub async fn dashboard(state: web::Data<State>, mut viewer: Viewer, req: HttpRequest) -> PageResult {
    let admin = viewer.require_user()?.clone();
    let list = articles::list_all(&state.app, (&admin).into()).await?;
    let ctx = context(&state, &mut viewer, &req);
    Ok(render(&viewer, StatusCode::OK, view::dashboard(&ctx, &list)))
}

pub async fn new_article(state: web::Data<State>, mut viewer: Viewer, req: HttpRequest) -> PageResult {
    let user = viewer.require_role(Role::Admin)?.clone();
    let form = ArticleForm { author_name: user.name().to_owned(), comments_open: true, ..ArticleForm::default() };
    let ctx = context(&state, &mut viewer, &req);
    Ok(render(&viewer, StatusCode::OK, view::article_form(&ctx, None, &form, &FormErrors::none())))
}

#[derive(Debug, Deserialize)]
pub struct ArticleFormData {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    author_name: String,
    comments_open: Option<String>,
    publish: Option<String>,
}

impl ArticleFormData {
    fn form(&self) -> ArticleForm {
        let slug = if self.slug.trim().is_empty() {
            crate::domain::article::Slug::from_title(&self.title)
        } else {
            self.slug.clone()
        };
        ArticleForm {
            slug,
            title: self.title.clone(),
            summary: self.summary.clone(),
            body: self.body.clone(),
            author_name: self.author_name.clone(),
            comments_open: self.comments_open.is_some(),
        }
    }
}

pub async fn create_article(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    data: CsrfDraft<ArticleFormData>,
) -> PageResult {
    let (data, checked) = data.into_parts();
    let admin = viewer.require_user()?.clone();
    let form = data.form();
    let result = async {
        checked?;
        articles::create(&state.app, (&admin).into(), form.clone(), data.publish.is_some()).await
    }
    .await;
    match result {
        Ok(article) => Ok(see_other(&format!("/articles/{}", article.slug))),
        Err(error) => {
            let ctx = context(&state, &mut viewer, &req);
            Ok(render_failed(&viewer, &error, view::article_form(&ctx, None, &form, &FormErrors::from_error(&error))))
        }
    }
}

pub async fn edit_article(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    id: web::Path<i64>,
) -> PageResult {
    viewer.require_role(Role::Admin)?;
    let article = articles::find(&state.app, id.into_inner()).await?;
    let form = ArticleForm {
        slug: article.slug.clone(),
        title: article.title.clone(),
        summary: article.summary.clone(),
        body: article.body_md.clone(),
        author_name: article.author_name.clone(),
        comments_open: article.comments_open,
    };
    let ctx = context(&state, &mut viewer, &req);
    Ok(render(&viewer, StatusCode::OK, view::article_form(&ctx, Some(article.id), &form, &FormErrors::none())))
}

pub async fn update_article(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    id: web::Path<i64>,
    data: CsrfDraft<ArticleFormData>,
) -> PageResult {
    let (data, checked) = data.into_parts();
    let admin = viewer.require_user()?.clone();
    let id = id.into_inner();
    let form = data.form();
    let result = async {
        checked?;
        articles::update(&state.app, (&admin).into(), id, form.clone()).await
    }
    .await;
    match result {
        Ok(article) => Ok(see_other(&format!("/articles/{}", article.slug))),
        Err(error) => {
            let ctx = context(&state, &mut viewer, &req);
            Ok(render_failed(
                &viewer,
                &error,
                view::article_form(&ctx, Some(id), &form, &FormErrors::from_error(&error)),
            ))
        }
    }
}

async fn set_published(state: &State, viewer: &Viewer, id: i64, published: bool) -> PageResult {
    let admin = viewer.require_user()?;
    let article = articles::find(&state.app, id).await?;
    articles::set_published(&state.app, admin.into(), article.slug, published).await?;
    Ok(see_other("/admin"))
}

pub async fn publish(state: web::Data<State>, viewer: Viewer, id: web::Path<i64>, _: Csrf) -> PageResult {
    set_published(&state, &viewer, id.into_inner(), true).await
}

pub async fn unpublish(state: web::Data<State>, viewer: Viewer, id: web::Path<i64>, _: Csrf) -> PageResult {
    set_published(&state, &viewer, id.into_inner(), false).await
}

#[derive(Debug, Deserialize)]
pub struct UsersQuery {
    q: Option<String>,
}

pub async fn users(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    q: web::Query<UsersQuery>,
) -> PageResult {
    let admin = viewer.require_user()?.clone();
    let list = accounts::list(&state.app, &admin, q.q.clone()).await?;
    let ctx = context(&state, &mut viewer, &req);
    Ok(render(&viewer, StatusCode::OK, view::users(&ctx, &list, q.q.as_deref().unwrap_or(""), &FormErrors::none())))
}

#[derive(Debug, Deserialize)]
pub struct RoleForm {
    role: Option<String>,
}

pub async fn set_role(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    username: web::Path<String>,
    form: CsrfDraft<RoleForm>,
) -> PageResult {
    let (form, checked) = form.into_parts();
    let admin = viewer.require_role(Role::Admin)?.clone();
    let result = async {
        checked?;
        let role = Role::parse(form.role.as_deref().unwrap_or(""))?;
        accounts::set_role(&state.app, (&admin).into(), &username, role).await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other("/admin/users")),
        Err(error) => {
            let list = accounts::list(&state.app, &admin, None).await?;
            let ctx = context(&state, &mut viewer, &req);
            Ok(render_failed(&viewer, &error, view::users(&ctx, &list, "", &FormErrors::from_error(&error))))
        }
    }
}

pub async fn settings_form(state: web::Data<State>, mut viewer: Viewer, req: HttpRequest) -> PageResult {
    viewer.require_role(Role::Admin)?;
    let site = settings::current(&state.app).await?;
    let ctx = context(&state, &mut viewer, &req);
    let saved = req.query_string().contains("saved=1");
    let page = view::settings_page(&ctx, &SettingsForm::from_settings(&site), &FormErrors::none(), saved);
    Ok(render(&viewer, StatusCode::OK, page))
}

#[derive(Debug, Deserialize)]
pub struct SettingsFormData {
    #[serde(default)]
    premoderation: String,
    #[serde(default)]
    premoderation_approvals: String,
    #[serde(default)]
    masked_words_threshold: String,
    #[serde(default)]
    new_commenter_comments: String,
    #[serde(default)]
    new_commenter_days: String,
    #[serde(default)]
    repeat_window_hours: String,
    #[serde(default)]
    flag_threshold: String,
    #[serde(default)]
    auto_close_days: String,
    #[serde(default)]
    default_sort: String,
    #[serde(default)]
    banned_words: String,
    #[serde(default)]
    suspect_words: String,
    #[serde(default)]
    allowed_words: String,
}

pub async fn save_settings(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    data: CsrfDraft<SettingsFormData>,
) -> PageResult {
    let admin = viewer.require_role(Role::Admin)?;
    let (data, checked) = data.into_parts();
    let form = SettingsForm {
        premoderation: data.premoderation,
        premoderation_approvals: data.premoderation_approvals,
        masked_words_threshold: data.masked_words_threshold,
        new_commenter_comments: data.new_commenter_comments,
        new_commenter_days: data.new_commenter_days,
        repeat_window_hours: data.repeat_window_hours,
        flag_threshold: data.flag_threshold,
        auto_close_days: data.auto_close_days,
        default_sort: data.default_sort,
        banned_words: data.banned_words,
        suspect_words: data.suspect_words,
        allowed_words: data.allowed_words,
    };
    let result = async {
        checked?;
        let parsed = form.parse()?;
        settings::save(&state.app, admin, parsed).await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other("/admin/settings?saved=1")),
        Err(error) => {
            let ctx = context(&state, &mut viewer, &req);
            Ok(render_failed(&viewer, &error, view::settings_page(&ctx, &form, &FormErrors::from_error(&error), false)))
        }
    }
}
