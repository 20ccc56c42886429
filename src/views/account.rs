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

/// A reader's profile. `own` is set when the reader views their own: it links to their account page.
pub fn profile(
    ctx: &PageContext,
    user: &User,
    comments: &[ProfileComment],
    total: i64,
    staff_view: bool,
    own: bool,
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
            @if own { p.own-account { "This is your public profile. " a href="/account" { "Manage your account" } } }
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
                Some(_) => p { "Your e-mail settings, including a one-click newsletter subscription, are on " a href="/account#mail" { "your account page" } "." },
                None => p { a href="/signin" { "Sign in" } " to take part in the discussions." },
            }
            p { a href="/" { "Back to the articles" } }
        }
    };
    layout(ctx, "Address verified", content)
}

/// What the account page shows.
#[derive(Debug, Clone)]
pub struct AccountView {
    pub user: User,
    pub status: crate::services::accounts::AccountStatus,
    pub subscribed: bool,
    pub devices: Vec<crate::services::accounts::Device>,
}

/// The part of the account page a refused form belongs to: its error shows there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Name,
    Email,
    Password,
    Delete,
}

/// What the last action on the account page did, named in its address (`?done=`) after the
/// redirect, so a reload does not repeat it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    Name,
    EmailSent,
    EmailChanged,
    Password,
    NotificationsOn,
    NotificationsOff,
    Subscribed,
    Unsubscribed,
    VerificationSent,
    SessionEnded,
    OthersEnded,
}

impl Done {
    pub const ALL: [Done; 11] = [
        Done::Name,
        Done::EmailSent,
        Done::EmailChanged,
        Done::Password,
        Done::NotificationsOn,
        Done::NotificationsOff,
        Done::Subscribed,
        Done::Unsubscribed,
        Done::VerificationSent,
        Done::SessionEnded,
        Done::OthersEnded,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Done::Name => "name",
            Done::EmailSent => "email-sent",
            Done::EmailChanged => "email-changed",
            Done::Password => "password",
            Done::NotificationsOn => "notifications-on",
            Done::NotificationsOff => "notifications-off",
            Done::Subscribed => "subscribed",
            Done::Unsubscribed => "unsubscribed",
            Done::VerificationSent => "verification-sent",
            Done::SessionEnded => "session-ended",
            Done::OthersEnded => "others-ended",
        }
    }

    pub fn parse(key: &str) -> Option<Done> {
        Done::ALL.into_iter().find(|d| d.key() == key)
    }

    fn message(self) -> &'static str {
        match self {
            Done::Name => "Your display name is saved.",
            Done::EmailSent => {
                "We sent a link to the new address. Your address changes when you follow it; until then it stays as it is."
            }
            Done::EmailChanged => "Your e-mail address is changed. We told your old address.",
            Done::Password => "Your password is changed. You are signed out everywhere else.",
            Done::NotificationsOn => "We will e-mail you when someone replies to one of your comments.",
            Done::NotificationsOff => "We will not e-mail you about replies.",
            Done::Subscribed => "You are subscribed to the newsletter.",
            Done::Unsubscribed => "You are unsubscribed from the newsletter.",
            Done::VerificationSent => "We sent the verification link again, unless we sent one in the last few minutes.",
            Done::SessionEnded => "That session is signed out.",
            Done::OthersEnded => "You are signed out everywhere else.",
        }
    }

    /// Where on the page the change was made, to come back to it.
    pub fn anchor(self) -> &'static str {
        match self {
            Done::Name => "profile",
            Done::EmailSent | Done::EmailChanged | Done::VerificationSent => "email",
            Done::Password => "password",
            Done::NotificationsOn | Done::NotificationsOff | Done::Subscribed | Done::Unsubscribed => "mail",
            Done::SessionEnded | Done::OthersEnded => "sessions",
        }
    }
}

/// What a refused form had in it, to show it again. Passwords are never echoed.
#[derive(Debug, Clone, Default)]
pub struct AccountDraft {
    pub display_name: Option<String>,
    pub email: Option<String>,
}

/// A short name for a browser and system from a User-Agent ("Firefox on Windows").
pub fn device_name(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent else { return "Unknown device".into() };
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("HeadlessChrome/", "Chrome"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    .into_iter()
    .find(|(marker, _)| ua.contains(marker))
    .map(|(_, name)| name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(marker, _)| ua.contains(marker))
    .map(|(_, name)| name);
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} on {s}"),
        (Some(b), None) => b.to_owned(),
        (None, Some(s)) => s.to_owned(),
        (None, None) => ua.chars().take(60).collect(),
    }
}

/// GET /account: everything a reader manages about their account, on one page.
pub fn account_page(
    ctx: &PageContext,
    view: &AccountView,
    done: Option<Done>,
    failed: Option<(Part, &FormErrors)>,
    draft: &AccountDraft,
) -> Markup {
    let none = FormErrors::none();
    let errors = |part: Part| failed.filter(|(p, _)| *p == part).map(|(_, e)| e).unwrap_or(&none);
    let user = &view.user;
    let status = &view.status;
    let csrf = &ctx.csrf_token;
    let content = html! {
        section.account {
            h1 { "Your account" }
            p.meta { "Signed in as @" (user.username) " · " a href={ "/users/" (user.username) } { "your public profile" } }
            @if let Some(done) = done {
                p.notice role="status" { (done.message()) }
            }
            section #profile.setting aria-labelledby="profile-heading" {
                h2 #profile-heading { "Display name" }
                @if status.sso {
                    p { (user.name()) }
                    p.hint { "Your name comes from the site you sign in with: change it there." }
                } @else {
                    (general_error(errors(Part::Name), &["display_name"]))
                    form method="post" action="/account/name" {
                        (csrf_field(csrf))
                        (text_input(errors(Part::Name), "display_name", "Display name", "text",
                            draft.display_name.as_deref().unwrap_or(user.display_name.as_deref().unwrap_or("")), "name", false))
                        p.hint { "Shown with your comments instead of @" (user.username) ". Leave it empty to show your username." }
                        button type="submit" { "Save name" }
                    }
                }
            }
            section #email.setting aria-labelledby="email-heading" {
                h2 #email-heading { "E-mail address" }
                // An address that turned out to be another account's shows as any unverified one
                // does: the page must not tell who else has it.
                p {
                    span.address { (user.email) }
                    @if status.email_verified { " " span.badge.ok { "verified" } }
                }
                @if !status.email_verified {
                    p { "Your address is not verified yet." }
                    form.inline method="post" action="/account/verify/resend" {
                        (csrf_field(csrf))
                        button.small.secondary type="submit" { "Send the link again" }
                    }
                }
                @if status.sso {
                    p.hint { "Your address comes from the site you sign in with: change it there." }
                } @else {
                    (general_error(errors(Part::Email), &["email", "current_password"]))
                    form method="post" action="/account/email" {
                        (csrf_field(csrf))
                        (text_input(errors(Part::Email), "email", "New address", "email", draft.email.as_deref().unwrap_or(""), "email", true))
                        (password_input(errors(Part::Email), "email-password", "Your current password"))
                        p.hint { "We send a link to the new address; your address changes when you follow it, and we tell the old one." }
                        button type="submit" { "Change address" }
                    }
                }
            }
            section #password.setting aria-labelledby="password-heading" {
                h2 #password-heading { "Password" }
                @if status.sso {
                    p { "You sign in through the site you came from, so your account has no password here." }
                } @else {
                    (general_error(errors(Part::Password), &["current_password", "new_password"]))
                    form method="post" action="/account/password" {
                        (csrf_field(csrf))
                        (password_input(errors(Part::Password), "password-current", "Current password"))
                        (text_input(errors(Part::Password), "new_password", "New password", "password", "", "new-password", true))
                        p.hint { "At least 10 characters. Changing it signs you out everywhere else." }
                        button type="submit" { "Change password" }
                    }
                }
            }
            section #mail.setting aria-labelledby="mail-heading" {
                h2 #mail-heading { "E-mails" }
                div.setting {
                    h3 { "Replies to your comments" }
                    p {
                        @if status.notify_replies { "We e-mail you when someone replies to one of your comments." }
                        @else { "We do not e-mail you about replies." }
                    }
                    form.inline method="post" action="/account/notifications" {
                        (csrf_field(csrf))
                        input type="hidden" name="on" value=(if status.notify_replies { "0" } else { "1" });
                        button.small.secondary type="submit" {
                            @if status.notify_replies { "Stop e-mails about replies" } @else { "E-mail me when someone replies to me" }
                        }
                    }
                }
                div.setting {
                    h3 { "Newsletter" }
                    @if view.subscribed {
                        p { "You receive the newsletter at " (user.email) "." }
                        form.inline method="post" action="/account/newsletter" {
                            (csrf_field(csrf))
                            input type="hidden" name="on" value="0";
                            button.small.secondary type="submit" { "Unsubscribe" }
                        }
                    } @else if status.email_verified {
                        p { "You do not receive the newsletter." }
                        form.inline method="post" action="/account/newsletter" {
                            (csrf_field(csrf))
                            input type="hidden" name="on" value="1";
                            button.small type="submit" { "Subscribe to the newsletter" }
                        }
                    } @else {
                        p { "Verify your address to subscribe with one click, or use " a href="/newsletter" { "the form on the newsletter page" } "." }
                    }
                }
            }
            section #sessions.setting aria-labelledby="sessions-heading" {
                h2 #sessions-heading { "Where you are signed in" }
                ul.sessions {
                    @for device in &view.devices {
                        li.session {
                            strong { (device_name(device.user_agent.as_deref())) }
                            @if device.current { " " span.badge.ok { "this browser" } }
                            br;
                            span.meta { "Signed in " (time(device.signed_in_at)) " · last seen " (time(device.last_seen_at)) }
                            @if let Some(ua) = &device.user_agent { br; small.user-agent { (ua) } }
                            @if !device.current {
                                form.inline method="post" action={ "/account/sessions/" (device.id) "/end" } {
                                    (csrf_field(csrf))
                                    button.small.secondary type="submit" aria-label={ "Sign out " (device_name(device.user_agent.as_deref())) } { "Sign out" }
                                }
                            }
                        }
                    }
                }
                @if view.devices.iter().any(|d| !d.current) {
                    form method="post" action="/account/sessions/end-others" {
                        (csrf_field(csrf))
                        button.secondary type="submit" { "Sign out everywhere else" }
                    }
                }
            }
            section #data.setting aria-labelledby="data-heading" {
                h2 #data-heading { "Your data" }
                p { "Download everything we hold about you as JSON: your profile, your comments with their text and status, your votes, flags, newsletter subscription and sessions." }
                p { a.button.secondary href="/account/export" download { "Download your data" } }
            }
            section #delete.setting.danger-zone aria-labelledby="delete-heading" {
                h2 #delete-heading { "Delete your account" }
                ul {
                    li { "Comments with replies stay as \u{201c}[deleted]\u{201d} placeholders, so the replies stay readable; the others disappear. The text of every comment is erased." }
                    li { "Your votes and flags stay counted, but no longer name you." }
                    li { "You are signed out everywhere and taken off the newsletter." }
                    li { "Your username stays reserved, so that nobody else can use it; it is shown nowhere." }
                }
                p { "This cannot be undone. You may want to " a href="/account/export" { "download your data" } " first." }
                (general_error(errors(Part::Delete), &["current_password", "confirm"]))
                form method="post" action="/account/delete" {
                    (csrf_field(csrf))
                    @if status.sso {
                        (text_input(errors(Part::Delete), "confirm", &format!("Type your username, {}, to confirm", user.username), "text", "", "off", true))
                    } @else {
                        (password_input(errors(Part::Delete), "delete-password", "Your password, to confirm"))
                    }
                    button.danger type="submit" { "Delete my account" }
                }
            }
        }
    };
    layout(ctx, "Your account", content)
}

/// The current password, for a change that needs it. Several forms on the account page ask for
/// it, so each has its own id; the field is always `current_password`.
fn password_input(errors: &FormErrors, id: &str, label: &str) -> Markup {
    let invalid = errors.get("current_password").is_some();
    let error_id = format!("{id}-error");
    html! {
        div.field {
            label for=(id) { (label) }
            input id=(id) name="current_password" type="password" autocomplete="current-password" required
                aria-invalid=[invalid.then_some("true")] aria-describedby=[invalid.then_some(error_id.as_str())];
            @if let Some(message) = errors.get("current_password") {
                p.error id=(error_id) role="alert" { (message) }
            }
        }
    }
}

/// After deleting the account.
pub fn account_deleted(ctx: &PageContext) -> Markup {
    let content = html! {
        section.auth {
            h1 { "Your account is deleted" }
            p { "You are signed out everywhere, and your comments are gone from their threads, except as placeholders where others replied to them." }
            p { a href="/" { "Back to the articles" } }
        }
    };
    layout(ctx, "Account deleted", content)
}

/// GET /account/email/{token}: nothing changes until the button, so mail scanners cannot.
pub fn email_change_page(ctx: &PageContext, token: &str, email: &str) -> Markup {
    let content = html! {
        section.auth {
            h1 { "Confirm your new address" }
            p { "Use " strong { (email) } " for your account from now on?" }
            form method="post" action={ "/account/email/" (urlencoding::encode(token)) } {
                (csrf_field(&ctx.csrf_token))
                button type="submit" { "Use this address" }
            }
        }
    };
    layout(ctx, "Confirm your new address", content)
}

/// After the change, for whoever followed the link (signed in or not).
pub fn email_changed(ctx: &PageContext, email: &str) -> Markup {
    let content = html! {
        section.auth {
            h1 { "Address changed" }
            p { "Your account now uses " strong { (email) } ". We told your old address." }
            @match &ctx.user {
                Some(_) => p { a href="/account" { "Back to your account" } },
                None => p { a href="/signin" { "Sign in" } },
            }
        }
    };
    layout(ctx, "Address changed", content)
}

#[cfg(test)]
mod tests {
    use super::{device_name, Done};

    #[test]
    fn devices_are_named_by_browser_and_system() {
        let cases = [
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge on Windows"),
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", "Safari on iPhone"),
            ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on Linux"),
            ("curl/8.5.0", "curl/8.5.0"),
        ];
        for (ua, name) in cases {
            assert_eq!(device_name(Some(ua)), name, "{ua}");
        }
        assert_eq!(device_name(None), "Unknown device");
    }

    #[test]
    fn every_done_key_reads_back() {
        for done in Done::ALL {
            assert_eq!(Done::parse(done.key()), Some(done));
        }
        assert_eq!(Done::parse("<script>"), None);
    }
}
