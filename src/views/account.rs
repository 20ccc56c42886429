use maud::{html, Markup, PreEscaped};

use super::components::{csrf_field, general_error, text_input, time, FormErrors};
use super::layout::{layout, PageContext};
use crate::services::accounts::User;
use crate::services::comments::ProfileComment;

/// What was typed into a registration form, to show it again. Passwords are never echoed.
#[derive(Debug, Default, Clone)]
pub struct RegistrationDraft {
    pub username: String,
    pub email: String,
    pub display_name: String,
}

const REGISTRATION_FIELDS: &[&str] = &["username", "email", "display_name", "password"];

fn registration_fields(errors: &FormErrors, draft: &RegistrationDraft) -> Markup {
    html! {
        (text_input(errors, "username", "Username", "text", &draft.username, "username", true))
        p.hint { "3 to 30 letters, digits, '_' or '-'. It appears in your profile's address." }
        (text_input(errors, "display_name", "Display name (optional)", "text", &draft.display_name, "name", false))
        (text_input(errors, "email", "Email", "email", &draft.email, "email", true))
        (text_input(errors, "password", "Password", "password", "", "new-password", true))
        p.hint { "At least 10 characters. A few words in a row make a strong, memorable password." }
    }
}

pub fn register(ctx: &PageContext, next: &str, draft: &RegistrationDraft, errors: &FormErrors) -> Markup {
    let content = html! {
        section.auth {
            h1 { "Create your account" }
            (general_error(errors, REGISTRATION_FIELDS))
            form method="post" action={ "/register?next=" (urlencoding::encode(next)) } {
                (csrf_field(&ctx.csrf_token))
                (registration_fields(errors, draft))
                button type="submit" { "Register" }
            }
            p { "Already have an account? " a href={ "/signin?next=" (urlencoding::encode(next)) } { "Sign in" } }
        }
    };
    layout(ctx, "Register", content)
}

pub fn sign_in(ctx: &PageContext, next: &str, login: &str, errors: &FormErrors) -> Markup {
    let content = html! {
        section.auth {
            h1 { "Sign in" }
            (general_error(errors, &["login", "password"]))
            form method="post" action={ "/signin?next=" (urlencoding::encode(next)) } {
                (csrf_field(&ctx.csrf_token))
                (text_input(errors, "login", "Username or email", "text", login, "username", true))
                (text_input(errors, "password", "Password", "password", "", "current-password", true))
                button type="submit" { "Sign in" }
            }
            p { "New here? " a href={ "/register?next=" (urlencoding::encode(next)) } { "Create an account" } }
        }
    };
    layout(ctx, "Sign in", content)
}

pub fn setup(ctx: &PageContext, token: &str, draft: &RegistrationDraft, errors: &FormErrors) -> Markup {
    let content = html! {
        section.auth {
            h1 { "Set up Civil" }
            p { "Create the first admin account. This link works once." }
            (general_error(errors, REGISTRATION_FIELDS))
            form method="post" action="/setup" {
                (csrf_field(&ctx.csrf_token))
                input type="hidden" name="token" value=(token);
                (registration_fields(errors, draft))
                button type="submit" { "Create admin account" }
            }
        }
    };
    layout(ctx, "Set up", content)
}

pub fn profile(ctx: &PageContext, user: &User, comments: &[ProfileComment], total: i64, staff_view: bool) -> Markup {
    let content = html! {
        section.profile {
            h1 { (user.name()) }
            p.meta {
                "@" (user.username)
                @if user.role != crate::domain::role::Role::Reader { " · " span.role { (user.role) } }
                " · joined " (time(user.created_at))
                " · " (total) (if total == 1 { " comment" } else { " comments" })
            }
            @if staff_view { (staff_panel(ctx, user)) }
            h2 { "Comments" }
            @if comments.is_empty() {
                p.empty { "No comments yet." }
            }
            ol.profile-comments {
                @for c in comments {
                    li {
                        p.meta {
                            "On " a href={ "/comments/" (c.id) } { (c.article_title) } " · " (time(c.created_at))
                            @if c.edited_at.is_some() { " · edited" }
                            " · " (c.score) (if c.score == 1 { " point" } else { " points" })
                        }
                        div.body { (PreEscaped(&c.body_html)) }
                    }
                }
            }
        }
    };
    layout(ctx, user.name(), content)
}

/// For a moderator or admin who outranks the reader: their sanctions, and the forms to change them.
fn staff_panel(ctx: &PageContext, user: &User) -> Markup {
    let now = chrono::Utc::now().naive_utc();
    let suspended = user.suspended_until.filter(|until| *until > now);
    let admin = ctx.user.as_ref().is_some_and(|u| u.is_admin());
    let id = user.id;
    html! {
        section.staff-panel aria-labelledby="staff-heading" {
            h2 #staff-heading { "Moderation" }
            ul.sanctions {
                @if user.banned {
                    li { span.badge.danger { "Banned" } }
                } @else if let Some(until) = suspended {
                    li { span.badge.warn { "Suspended" } " until " (time(until)) }
                } @else {
                    li { "No ban or suspension." }
                }
                @if let Some(reason) = user.sanction_reason.as_ref().filter(|_| user.banned || suspended.is_some()) {
                    li { "Reason given: " q { (reason) } }
                }
                li {
                    @if user.always_review {
                        span.badge.warn { "Always review" } " Every comment they write is held for a moderator."
                    } @else {
                        "Their comments go through the usual checks."
                    }
                }
            }
            div.staff-actions {
                form.inline method="post" action={ "/moderation/users/" (id) "/review" } {
                    (csrf_field(&ctx.csrf_token))
                    input type="hidden" name="on" value=(if user.always_review { "0" } else { "1" });
                    button.small.secondary type="submit" {
                        @if user.always_review { "Stop always reviewing" } @else { "Always review this reader" }
                    }
                }
                @if user.banned || suspended.is_some() {
                    form.inline method="post" action={ "/moderation/users/" (id) "/unban" }
                        data-confirm=(if user.banned { "Lift the ban?" } else { "Lift the suspension?" }) {
                        (csrf_field(&ctx.csrf_token))
                        button.small.secondary type="submit" { @if user.banned { "Lift the ban" } @else { "Lift the suspension" } }
                    }
                }
            }
            @if !user.banned {
                form.sanction-form method="post" action={ "/moderation/users/" (id) "/suspend" } {
                    (csrf_field(&ctx.csrf_token))
                    h3 { @if suspended.is_some() { "Change the suspension" } @else { "Suspend" } }
                    div.field {
                        label for="suspend-days" { "Days" }
                        input #suspend-days type="number" name="days" min="1" max="365" step="1" value="7" required inputmode="numeric";
                    }
                    div.field {
                        label for="suspend-reason" { "Reason (the reader is told it)" }
                        input #suspend-reason type="text" name="reason" maxlength="500" required;
                    }
                    button.small type="submit" { "Suspend" }
                }
                @if admin {
                    form.sanction-form method="post" action={ "/moderation/users/" (id) "/ban" }
                        data-confirm={ "Ban @" (user.username) "? They will be signed out everywhere." } {
                        (csrf_field(&ctx.csrf_token))
                        h3 { "Ban" }
                        div.field {
                            label for="ban-reason" { "Reason (the reader is told it)" }
                            input #ban-reason type="text" name="reason" maxlength="500" required;
                        }
                        button.small.danger type="submit" { "Ban" }
                    }
                }
            }
            p { a href={ "/moderation/log?user=" (urlencoding::encode(&user.username)) } { "Their entries in the moderation log" } }
        }
    }
}

pub fn edit_comment(ctx: &PageContext, id: i64, slug: &str, body: &str, deadline: chrono::NaiveDateTime, errors: &FormErrors) -> Markup {
    let content = html! {
        section.edit {
            h1 { "Edit your comment" }
            p.hint { "You can edit until " (time(deadline)) "." }
            (general_error(errors, &["body"]))
            form.comment-form method="post" action={ "/comments/" (id) "/edit" } {
                (csrf_field(&ctx.csrf_token))
                label for="body" { "Your comment" }
                textarea #body name="body" rows="8" maxlength="10000" required { (body) }
                (super::components::field_error(errors, "body"))
                div.form-actions {
                    button type="submit" { "Save" }
                    a href={ "/articles/" (slug) "#comment-" (id) } { "Cancel" }
                }
            }
        }
    };
    layout(ctx, "Edit comment", content)
}
