use maud::{html, Markup};

use super::components::{csrf_field, general_error, text_input, time, FormErrors};
use super::layout::{layout, PageContext};
use crate::domain::role::Role;
use crate::services::accounts::User;
use crate::services::articles::{Article, ArticleForm};

fn admin_nav() -> Markup {
    html! {
        nav.admin-nav aria-label="Admin" {
            a href="/admin" { "Articles" }
            a href="/admin/articles/new" { "New article" }
            a href="/admin/users" { "Readers and roles" }
        }
    }
}

pub fn dashboard(ctx: &PageContext, articles: &[Article]) -> Markup {
    let content = html! {
        h1 { "Articles" }
        (admin_nav())
        table.admin-table {
            thead { tr { th { "Title" } th { "Status" } th { "Comments" } th { "Actions" } } }
            tbody {
                @for a in articles {
                    tr {
                        td { a href={ "/articles/" (a.slug) } { (a.title) } br; small { (a.slug) } }
                        td {
                            @match a.published_at {
                                Some(at) => { "Published " (time(at)) }
                                None => { "Draft" }
                            }
                            @if !a.comments_open { br; small { "comments closed" } }
                        }
                        td { (a.comment_count) }
                        td.actions {
                            a href={ "/admin/articles/" (a.id) "/edit" } { "Edit" }
                            form.inline method="post" action={ "/admin/articles/" (a.id) (if a.published_at.is_some() { "/unpublish" } else { "/publish" }) } {
                                (csrf_field(&ctx.csrf_token))
                                button.link type="submit" { @if a.published_at.is_some() { "Unpublish" } @else { "Publish" } }
                            }
                        }
                    }
                }
            }
        }
    };
    layout(ctx, "Admin", content)
}

const ARTICLE_FIELDS: &[&str] = &["slug", "title", "summary", "body", "author_name"];

pub fn article_form(ctx: &PageContext, id: Option<i64>, form: &ArticleForm, errors: &FormErrors) -> Markup {
    let action = match id {
        Some(id) => format!("/admin/articles/{id}"),
        None => "/admin/articles".to_owned(),
    };
    let content = html! {
        h1 { @if id.is_some() { "Edit article" } @else { "New article" } }
        (admin_nav())
        (general_error(errors, ARTICLE_FIELDS))
        form.article-form method="post" action=(action) {
            (csrf_field(&ctx.csrf_token))
            (text_input(errors, "title", "Title", "text", &form.title, "off", true))
            (text_input(errors, "slug", "Slug (the address: /articles/slug)", "text", &form.slug, "off", true))
            (text_input(errors, "author_name", "Author", "text", &form.author_name, "off", true))
            div.field {
                label for="summary" { "Summary" }
                textarea #summary name="summary" rows="2" { (form.summary) }
                (super::components::field_error(errors, "summary"))
            }
            div.field {
                label for="body" { "Body (markdown)" }
                textarea #body name="body" rows="16" required { (form.body) }
                (super::components::field_error(errors, "body"))
            }
            div.field.checkbox {
                input #comments_open type="checkbox" name="comments_open" value="on" checked[form.comments_open];
                label for="comments_open" { "Comments open" }
            }
            @if id.is_none() {
                div.field.checkbox {
                    input #publish type="checkbox" name="publish" value="on";
                    label for="publish" { "Publish now" }
                }
            }
            button type="submit" { "Save" }
        }
    };
    layout(ctx, "Article", content)
}

pub fn users(ctx: &PageContext, users: &[User], search: &str, errors: &FormErrors) -> Markup {
    let content = html! {
        h1 { "Readers and roles" }
        (admin_nav())
        (general_error(errors, &[]))
        form.search method="get" action="/admin/users" {
            label for="q" { "Find by username or email" }
            input #q type="search" name="q" value=(search);
            button type="submit" { "Search" }
        }
        table.admin-table {
            thead { tr { th { "Reader" } th { "Email" } th { "Joined" } th { "Role" } } }
            tbody {
                @for u in users {
                    tr {
                        td { a href={ "/users/" (u.username) } { (u.name()) } " " small { "@" (u.username) } }
                        td { (u.email) }
                        td { (time(u.created_at)) }
                        td {
                            form.inline method="post" action={ "/admin/users/" (u.username) "/role" } {
                                (csrf_field(&ctx.csrf_token))
                                label.visually-hidden for={ "role-" (u.id) } { "Role of " (u.username) }
                                select id={ "role-" (u.id) } name="role" {
                                    @for role in Role::ALL {
                                        option value=(role.as_str()) selected[role == u.role] { (role) }
                                    }
                                }
                                button.small type="submit" { "Change" }
                            }
                        }
                    }
                }
            }
        }
    };
    layout(ctx, "Readers", content)
}
