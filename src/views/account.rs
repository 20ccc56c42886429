use chrono::NaiveDateTime;
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
            p { a href="/password/forgot" { "Forgot your password?" } }
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

/// What only the reader sees on their own profile.
#[derive(Debug, Clone)]
pub struct OwnProfile {
    pub email: String,
    pub email_verified: bool,
    pub subscribed: bool,
    pub notify_replies: bool,
}

/// A reader's profile. `own` is set when the reader views their own, and adds their settings.
pub fn profile(
    ctx: &PageContext,
    user: &User,
    comments: &[ProfileComment],
    total: i64,
    staff_view: bool,
    own: Option<&OwnProfile>,
    now: NaiveDateTime,
) -> Markup {
    let content = html! {
        section.profile {
            h1 { (user.name()) }
            p.meta {
                "@" (user.username)
                @if user.role != crate::domain::role::Role::Reader { " · " span.role { (user.role) } }
                " · joined " (time(user.created_at))
                " · " (total) (if total == 1 { " comment" } else { " comments" })
            }
            @if staff_view { (staff_panel(ctx, user, now)) }
            @if let Some(own) = own { (own_settings(ctx, own)) }
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

/// The reader's own e-mail settings: their address, the newsletter, reply notifications.
fn own_settings(ctx: &PageContext, own: &OwnProfile) -> Markup {
    html! {
        section #settings.own-settings aria-labelledby="settings-heading" {
            h2 #settings-heading { "Your settings" }
            div.setting {
                h3 { "E-mail address" }
                p {
                    span.address { (own.email) }
                    @if own.email_verified { " " span.badge.ok { "verified" } }
                }
                @if !own.email_verified {
                    p { "Your address is not verified yet." }
                    form.inline method="post" action="/account/verify/resend" {
                        (csrf_field(&ctx.csrf_token))
                        button.small.secondary type="submit" { "Send the link again" }
                    }
                }
            }
            div.setting {
                h3 { "Newsletter" }
                @if own.subscribed {
                    p { "You receive the newsletter." }
                } @else if own.email_verified {
                    form.inline method="post" action="/newsletter/me" {
                        (csrf_field(&ctx.csrf_token))
                        button.small type="submit" { "Subscribe to the newsletter" }
                    }
                } @else {
                    p { "Verify your address to subscribe with one click, or use " a href="/newsletter" { "the form on the newsletter page" } "." }
                }
            }
            div.setting {
                h3 { "Replies to your comments" }
                p {
                    @if own.notify_replies {
                        "We e-mail you when someone replies to one of your comments."
                    } @else {
                        "We do not e-mail you about replies."
                    }
                }
                form.inline method="post" action="/account/notifications" {
                    (csrf_field(&ctx.csrf_token))
                    input type="hidden" name="on" value=(if own.notify_replies { "0" } else { "1" });
                    button.small.secondary type="submit" {
                        @if own.notify_replies { "Stop e-mails about replies" } @else { "E-mail me when someone replies to me" }
                    }
                }
            }
        }
    }
}

/// For a moderator or admin who outranks the reader: their sanctions, and the forms to change them.
fn staff_panel(ctx: &PageContext, user: &User, now: NaiveDateTime) -> Markup {
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

pub fn edit_comment(
    ctx: &PageContext,
    id: i64,
    slug: &str,
    body: &str,
    deadline: chrono::NaiveDateTime,
    errors: &FormErrors,
    from: &crate::services::threads::ThreadQuery,
) -> Markup {
    // Saving or cancelling goes back to the page of the thread the reader came from.
    let after = from.after.map(|c| c.encode(from.sort));
    let back = format!(
        "/articles/{slug}?sort={}{}#comment-{id}",
        from.sort.as_str(),
        after.as_deref().map(|a| format!("&after={a}")).unwrap_or_default()
    );
    let content = html! {
        section.edit {
            h1 { "Edit your comment" }
            p.hint { "You can edit until " (time(deadline)) "." }
            (general_error(errors, &["body"]))
            form.comment-form method="post" action={ "/comments/" (id) "/edit" } {
                (csrf_field(&ctx.csrf_token))
                input type="hidden" name="sort" value=(from.sort.as_str());
                @if let Some(after) = &after {
                    input type="hidden" name="after" value=(after);
                }
                label for="body" { "Your comment" }
                textarea #body name="body" rows="8" maxlength="10000" required { (body) }
                (super::components::field_error(errors, "body"))
                div.form-actions {
                    button type="submit" { "Save" }
                    a.cancel href=(back) { "Cancel" }
                }
            }
        }
    };
    layout(ctx, "Edit comment", content)
}

/// POST /password/forgot asks for the address of the account.
pub fn forgot_password(ctx: &PageContext, email: &str, errors: &FormErrors) -> Markup {
    let content = html! {
        section.auth {
            h1 { "Forgot your password?" }
            p { "Enter the e-mail address of your account and we will send you a link to choose a new password." }
            (general_error(errors, &["email"]))
            form method="post" action="/password/forgot" {
                (csrf_field(&ctx.csrf_token))
                (text_input(errors, "email", "Email", "email", email, "email", true))
                button type="submit" { "Send me a reset link" }
            }
            p { a href="/signin" { "Back to sign in" } }
        }
    };
    layout(ctx, "Forgot your password", content)
}

/// The same answer whether or not an account uses the address.
pub fn reset_sent(ctx: &PageContext) -> Markup {
    let content = html! {
        section.auth {
            h1 { "Check your inbox" }
            p { "If an account uses that address, a link to choose a new password is on its way. It works for one hour." }
            p.hint.after { "Nothing arrived? Look in your spam folder, or " a href="/password/forgot" { "ask again" } " in a few minutes." }
        }
    };
    layout(ctx, "Check your inbox", content)
}

pub fn reset_form(ctx: &PageContext, token: &str, errors: &FormErrors) -> Markup {
    let content = html! {
        section.auth {
            h1 { "Choose a new password" }
            (general_error(errors, &["password"]))
            form method="post" action={ "/password/reset/" (urlencoding::encode(token)) } {
                (csrf_field(&ctx.csrf_token))
                (text_input(errors, "password", "New password", "password", "", "new-password", true))
                p.hint { "At least 10 characters. A few words in a row make a strong, memorable password." }
                button type="submit" { "Set new password" }
            }
        }
    };
    layout(ctx, "New password", content)
}

/// GET /account/verify/{token}: nothing changes until the button, so mail scanners cannot verify.
pub fn verify_page(ctx: &PageContext, token: &str) -> Markup {
    let content = html! {
        section.auth {
            h1 { "Verify your e-mail address" }
            form method="post" action={ "/account/verify/" (urlencoding::encode(token)) } {
                (csrf_field(&ctx.csrf_token))
                button type="submit" { "Verify my address" }
            }
        }
    };
    layout(ctx, "Verify your address", content)
}

pub fn verified(ctx: &PageContext) -> Markup {
    let content = html! {
        section.auth {
            h1 { "Your address is verified." }
            @match &ctx.user {
                Some(user) => p { "Your e-mail settings, including a one-click newsletter subscription, are in " a href={ "/users/" (user.username) "#settings" } { "your profile" } "." },
                None => p { a href="/signin" { "Sign in" } " to take part in the discussions." },
            }
            p { a href="/" { "Back to the articles" } }
        }
    };
    layout(ctx, "Address verified", content)
}
