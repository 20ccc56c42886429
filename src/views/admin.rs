use maud::{html, Markup};

use super::components::{csrf_field, general_error, text_input, time, FormErrors};
use super::layout::{layout, PageContext};
use crate::domain::moderation::FLAG_WEIGHT_EXPLAINED;
use crate::domain::role::Role;
use crate::domain::site::SettingsForm;
use crate::services::accounts::User;
use crate::services::articles::{Article, ArticleForm};

pub(crate) fn admin_nav() -> Markup {
    html! {
        nav.admin-nav aria-label="Admin" {
            a href="/admin" { "Articles" }
            a href="/admin/articles/new" { "New article" }
            a href="/admin/users" { "Readers and roles" }
            a href="/admin/newsletter" { "Newsletter" }
            a href="/admin/sites" { "Embedding" }
            a href="/admin/webhooks" { "Webhooks" }
            a href="/admin/settings" { "Settings" }
            a href="/moderation" { "Moderation" }
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

const SETTINGS_FIELDS: &[&str] = &[
    "premoderation",
    "premoderation_approvals",
    "masked_words_threshold",
    "new_commenter_comments",
    "new_commenter_days",
    "repeat_window_hours",
    "flag_threshold",
    "auto_close_days",
    "default_sort",
    "banned_words",
    "suspect_words",
    "allowed_words",
];

/// A labelled whole-number input with its hint and error.
fn number_input(
    errors: &FormErrors,
    name: &str,
    label: &str,
    value: &str,
    (min, max): (u32, u32),
    hint: &str,
) -> Markup {
    let invalid = errors.get(name).is_some();
    let hint_id = format!("{name}-hint");
    let described = if invalid { format!("{hint_id} {name}-error") } else { hint_id.clone() };
    html! {
        div.field.number {
            label for=(name) { (label) }
            input id=(name) name=(name) type="number" inputmode="numeric" min=(min) max=(max) step="1" value=(value) required[min == 0]
                aria-invalid=[invalid.then_some("true")] aria-describedby=(described);
            p.hint id=(hint_id) { (hint) }
            (super::components::field_error(errors, name))
        }
    }
}

/// A word list, one entry per line.
fn word_list(errors: &FormErrors, name: &str, label: &str, value: &str, hint: &str) -> Markup {
    let invalid = errors.get(name).is_some();
    let hint_id = format!("{name}-hint");
    let described = if invalid { format!("{hint_id} {name}-error") } else { hint_id.clone() };
    html! {
        div.field.words {
            label for=(name) { (label) }
            p.hint id=(hint_id) { (hint) }
            textarea id=(name) name=(name) rows="6" spellcheck="false" autocapitalize="off"
                aria-invalid=[invalid.then_some("true")] aria-describedby=(described) { (value) }
            (super::components::field_error(errors, name))
        }
    }
}

pub fn settings_page(ctx: &PageContext, form: &SettingsForm, errors: &FormErrors, saved: bool) -> Markup {
    let premoderation = |mode: &str| {
        form.premoderation == mode || (mode == "off" && !["new", "all"].contains(&form.premoderation.as_str()))
    };
    let premoderation_invalid = errors.get("premoderation").is_some();
    let content = html! {
        h1 { "Moderation settings" }
        (admin_nav())
        @if saved {
            p.banner.success role="status" { "Settings saved. They apply at once on every instance." }
        }
        (general_error(errors, SETTINGS_FIELDS))
        form.settings-form method="post" action="/admin/settings" {
            (csrf_field(&ctx.csrf_token))
            fieldset {
                legend { "Pre-moderation" }
                p.hint.lead { "Held comments are shown only to their author until a moderator approves them." }
                div.field.radio {
                    input #premoderation-off type="radio" name="premoderation" value="off" checked[premoderation("off")]
                        aria-invalid=[premoderation_invalid.then_some("true")];
                    label for="premoderation-off" { "Off: comments are published unless a rule holds them" }
                }
                div.field.radio {
                    input #premoderation-new type="radio" name="premoderation" value="new" checked[premoderation("new")];
                    label for="premoderation-new" { "New commenters: hold their comments until some are approved" }
                }
                div.field.radio {
                    input #premoderation-all type="radio" name="premoderation" value="all" checked[premoderation("all")];
                    label for="premoderation-all" { "Everyone: hold every comment" }
                }
                (super::components::field_error(errors, "premoderation"))
                (number_input(errors, "premoderation_approvals", "Approved comments that end pre-moderation of a new commenter",
                    &form.premoderation_approvals, (1, 100), "Used when pre-moderation is for new commenters; from 1 to 100."))
            }
            fieldset {
                legend { "New commenters" }
                p.hint.lead { "A commenter is new while they have fewer published comments than this, or their account is younger than this many days. Links from new commenters are held." }
                (number_input(errors, "new_commenter_comments", "Published comments", &form.new_commenter_comments, (0, 1000), "Fewer than this and the commenter is new."))
                (number_input(errors, "new_commenter_days", "Account age in days", &form.new_commenter_days, (0, 3650), "Younger than this and the commenter is new."))
            }
            fieldset {
                legend { "Automatic checks" }
                (number_input(errors, "masked_words_threshold", "Masked words that report a comment", &form.masked_words_threshold, (0, 1000),
                    "A comment with at least this many masked words is published (masked) and reported to moderators. 0 turns this off."))
                (number_input(errors, "repeat_window_hours", "Repeat window in hours", &form.repeat_window_hours, (0, 24 * 365),
                    "The same text posted again by its author within this window is held. 0 turns this off."))
            }
            fieldset {
                legend { "Reader flags" }
                (number_input(errors, "flag_threshold", "Flag threshold", &form.flag_threshold, (0, 1000),
                    "When the weighted flags of different readers reach this, the comment leaves public view until a moderator decides. 0 turns this off."))
                p.explain { (FLAG_WEIGHT_EXPLAINED) }
            }
            fieldset {
                legend { "Discussions" }
                (number_input(errors, "auto_close_days", "Close discussions after (days)", &form.auto_close_days, (0, 3650),
                    "Days after an article is published; 0 = off (discussions stay open)."))
                div.field {
                    label for="default_sort" { "Comments open sorted by" }
                    select #default_sort name="default_sort" aria-describedby="default_sort-hint" {
                        @for sort in crate::domain::thread::Sort::ALL {
                            option value=(sort.as_str()) selected[form.default_sort == sort.as_str()] { (sort.label()) }
                        }
                    }
                    p.hint id="default_sort-hint" { "Readers can still choose another order; this is where a discussion starts." }
                    (crate::views::components::field_error(errors, "default_sort"))
                }
            }
            fieldset {
                legend { "Word lists" }
                p.hint.lead { "One word or phrase per line. Case does not matter." }
                (word_list(errors, "banned_words", "Banned words", &form.banned_words,
                    "Banned: a comment containing one is rejected, and its author is asked to rephrase."))
                (word_list(errors, "suspect_words", "Suspect words", &form.suspect_words,
                    "Suspect: a comment containing one is published and reported to moderators."))
                (word_list(errors, "allowed_words", "Allowed words", &form.allowed_words,
                    "Allowed: never masked, even when the profanity filter would mask them (place names, surnames)."))
            }
            div.form-actions {
                button type="submit" { "Save settings" }
            }
        }
    };
    layout(ctx, "Settings", content)
}
